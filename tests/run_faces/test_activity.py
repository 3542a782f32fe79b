"""The dashboard's series, on both databases: per day and per connection, inside the window."""

from __future__ import annotations

from datetime import timedelta

from forcebridge.services import activity
from forcebridge.store.runs import Event
from forcebridge.store.types import utcnow
from tests.run_faces.conftest import Org, add_run, make_integration


def test_recent_activity_per_day_and_connection(org: Org) -> None:
    now = utcnow()
    iid = make_integration(org)
    add_run(org, iid, started=now - timedelta(days=1), api_calls=5, created=3, failed=1)
    add_run(org, iid, started=now, api_calls=7, updated=2)
    add_run(org, iid, started=now - timedelta(days=30), api_calls=100)  # outside the window
    with org.rt.db.begin() as s:
        s.add(Event(tenant_id=org.tenant_id, integration_id=iid, kind="record_rejected",
                    message="x", created_at=now))
    with org.rt.db.begin() as s:
        data = activity.recent(s, org.tenant_id, now=now, days=14)
    assert len(data.days) == 14 and data.days[-1] == now.date()
    assert data.api_calls == {"demo org": {(now - timedelta(days=1)).date(): 5, now.date(): 7}}
    assert [(w["written"], w["failed"]) for w in data.written] == [(3, 1), (2, 0)]
    assert data.failures == {now.date(): 1}
    assert data.delivered == {} and data.dead == {}
