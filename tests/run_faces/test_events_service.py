"""`services.events`: record, list (filters, pages), get, resolve, public view; tenant-isolated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forcebridge.errors import InvalidInput, NotFound
from forcebridge.services import events
from forcebridge.store.integrations import Integration
from forcebridge.store.models import AuditEntry
from forcebridge.store.runs import Event
from forcebridge.store.types import utcnow
from tests.run_faces.conftest import Org, add_run, make_integration


def _record(org: Org, integration_id: str, n: int = 1, **kw: object) -> list[str]:
    ids = []
    with org.rt.db.begin() as s:
        integration = s.get(Integration, integration_id)
        assert integration is not None
        for i in range(n):
            args: dict[str, object] = {
                "run_id": None, "kind": "record_rejected", "message": f"rejected {i}",
                "record_key": f"INV-{i}", "error_code": "REQUIRED_FIELD_MISSING",
                "fields": ["Amount__c"], "payload": {"Invoice_Number__c": f"INV-{i}"},
            }
            args.update(kw)
            ids.append(events.record(s, integration=integration, **args).id)  # type: ignore[arg-type]
    return ids


def test_record_then_get_shows_payload_but_no_secret(org: Org) -> None:
    iid = make_integration(org)
    run_id = add_run(org, iid, failed=1)
    [event_id] = _record(
        org, iid, run_id=run_id,
        message="auth failed for Bearer 00Dxx!AQ0.abc123 on upsert",
        payload={"Invoice_Number__c": "INV-1", "Amount__c": "x", "Api_Password__c": "hunter2"},
    )
    with org.rt.db.begin() as s:
        stored = s.get(Event, event_id)
        assert stored is not None
        # kept whole for a retry; the message is masked already when stored
        assert stored.payload == {"Invoice_Number__c": "INV-1", "Amount__c": "x",
                                  "Api_Password__c": "hunter2"}
        assert "abc123" not in stored.message
        view = events.views(s, [events.get(s, org.tenant_id, event_id)])[0]
    assert view.integration == "invoices" and view.run_id == run_id
    assert view.status == "open" and view.kind == "record_rejected"
    assert view.record_key == "INV-0" and view.error_code == "REQUIRED_FIELD_MISSING"
    assert view.fields == ["Amount__c"]
    assert view.payload == {"Invoice_Number__c": "INV-1", "Amount__c": "x",
                               "Api_Password__c": "***"}
    assert "hunter2" not in str(view) and "abc123" not in str(view)


def test_record_clips_what_is_too_long_and_refuses_no_kind(org: Org) -> None:
    iid = make_integration(org)
    [event_id] = _record(org, iid, record_key="K" * 400, message="m" * 20_000, payload=None)
    with org.rt.db.begin() as s:
        e = events.get(s, org.tenant_id, event_id)
        assert len(e.record_key or "") == 255 and len(e.message) == events.MAX_MESSAGE
        assert e.payload is None
    with pytest.raises(InvalidInput) as err:
        _record(org, iid, kind=" ")
    assert err.value.details[0]["field"] == "kind"


def test_list_filters_and_pages_newest_first(org: Org) -> None:
    a = make_integration(org, "a")
    b = make_integration(org, "b")
    run_id = add_run(org, a)
    first = _record(org, a, 5, run_id=run_id)
    other = _record(org, b, 2, kind="run_failed")
    with org.rt.db.begin() as s:
        everything = events.list_events(s, org.tenant_id, status=None, limit=500).items
        assert [e.id for e in everything] == list(reversed(first + other))
        assert {e.id for e in events.list_events(s, org.tenant_id, integration="A").items} \
            == set(first)
        assert {e.id for e in events.list_events(s, org.tenant_id, kind="run_failed").items} \
            == set(other)
        assert {e.id for e in events.list_events(s, org.tenant_id, run_id=run_id).items} \
            == set(first)

        page1 = events.list_events(s, org.tenant_id, limit=3)
        assert [e.id for e in page1.items] == list(reversed(first + other))[:3]
        assert page1.next_cursor
    # a newer event arriving between pages neither shifts nor repeats the older pages
    _record(org, a, 1)
    with org.rt.db.begin() as s:
        page2 = events.list_events(s, org.tenant_id, limit=3, cursor=page1.next_cursor)
        page3 = events.list_events(s, org.tenant_id, limit=3, cursor=page2.next_cursor)
    assert [e.id for e in page2.items] == list(reversed(first + other))[3:6]
    assert [e.id for e in page3.items] == list(reversed(first + other))[6:]
    assert page3.next_cursor is None


def test_same_instant_pages_by_id(org: Org) -> None:
    iid = make_integration(org)
    ids = _record(org, iid, 4)
    at = utcnow() - timedelta(minutes=1)
    with org.rt.db.begin() as s:
        for e in s.scalars(select(Event)):
            e.created_at = at
    with org.rt.db.begin() as s:
        seen: list[str] = []
        cursor = None
        while True:
            found = events.list_events(s, org.tenant_id, limit=1, cursor=cursor)
            seen += [e.id for e in found.items]
            if not (cursor := found.next_cursor):
                break
    assert sorted(seen) == sorted(ids) and len(seen) == 4


def test_list_refuses_bad_status_cursor_and_unknown_integration(org: Org) -> None:
    with org.rt.db.begin() as s:
        with pytest.raises(InvalidInput) as err:
            events.list_events(s, org.tenant_id, status="closed")
        assert err.value.details[0]["field"] == "status"
        with pytest.raises(InvalidInput) as err:
            events.list_events(s, org.tenant_id, cursor="not-a-cursor")
        assert err.value.details[0]["field"] == "cursor"
        with pytest.raises(InvalidInput) as err:
            events.list_events(s, org.tenant_id, limit=0)
        assert err.value.details[0]["field"] == "limit"
        with pytest.raises(NotFound):
            events.list_events(s, org.tenant_id, integration="nope")


def test_resolve_is_idempotent_all_or_nothing_and_audited(org: Org) -> None:
    iid = make_integration(org)
    one, two, three = _record(org, iid, 3)
    with org.rt.db.begin() as s:
        s.get(Event, three).status = "retried"  # type: ignore[union-attr]
    with org.rt.db.begin() as s:
        with pytest.raises(NotFound) as err:
            events.resolve(s, org.tenant_id, [one, "missing"], "api_key:k1")
        assert err.value.details == [{"field": "ids.1", "reason": "no event 'missing'"}]
    with org.rt.db.begin() as s:
        assert events.get(s, org.tenant_id, one).status == "open"
        done = events.resolve(s, org.tenant_id, [one, two, three, one], "api_key:k1")
        assert [e.status for e in done] == ["resolved", "resolved", "retried"]
    with org.rt.db.begin() as s:
        first = events.get(s, org.tenant_id, one)
        assert first.resolved_by == "api_key:k1" and first.resolved_at is not None
        events.resolve(s, org.tenant_id, [one], "cli")
        assert events.get(s, org.tenant_id, one).resolved_by == "api_key:k1"
        audit = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "events.resolve")))
        assert len(audit) == 1 and audit[0].detail == {"ids": [one, two]}
        assert events.list_events(s, org.tenant_id).items == []
        with pytest.raises(InvalidInput):
            events.resolve(s, org.tenant_id, [], "cli")


def test_other_tenants_events_are_not_found(org: Org, other_tenant: tuple[str, object]) -> None:
    theirs = make_integration(org, "theirs", connection=None, tenant_id=other_tenant[0])
    [event_id] = _record(org, theirs)
    with org.rt.db.begin() as s:
        with pytest.raises(NotFound):
            events.get(s, org.tenant_id, event_id)
        with pytest.raises(NotFound):
            events.resolve(s, org.tenant_id, [event_id], "cli")
        assert events.list_events(s, org.tenant_id, status=None).items == []
        assert events.get(s, other_tenant[0], event_id).id == event_id
