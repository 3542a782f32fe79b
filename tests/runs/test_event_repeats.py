"""One open event per record and reason: a record failing again counts on its open event,
at run time (the org on a socket) and for the duplicates an older version left (upgrade)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forcebridge.runs import retry_events, run_integration
from forcebridge.services import events
from forcebridge.services import runs as run_history
from forcebridge.store import migrate
from forcebridge.store.db import Database
from forcebridge.store.types import utcnow
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


async def test_a_repeat_counts_on_the_open_event_until_it_is_resolved(live: World) -> None:
    rows = invoice_rows(2, account="A-404")  # Salesforce rejects both, every run
    write_csv(live.files / "invoices.csv", rows)
    iid = live.integration(reference=True)
    runs = [await run_integration(live.rt, live.tenant_id, iid) for _ in range(3)]
    opened = live.events(kind="record_rejected")
    assert len(opened) == 2, "3 runs x 2 records: one event per record"
    for event in opened:
        assert (event.occurrences, event.run_id, event.last_run_id) == (3, runs[0], runs[2])
        assert event.last_seen_at > event.created_at
        assert event.error_code == "INVALID_FIELD" and event.payload
    with live.rt.db.session() as s:  # the run that saw them last lists them, and shows them
        listed = events.list_events(s, live.tenant_id, run_id=runs[2]).items
        assert {e.id for e in listed} == {e.id for e in opened}
        seen = {r.id: r.events for r in run_history.views(
            s, [run_history.get(s, live.tenant_id, r) for r in runs])}
        assert (seen[runs[0]], seen[runs[2]]) == (2, 2)
        shown = events.views(s, listed)[0]
        assert shown.occurrences == 3 and shown.last_seen_at and shown.last_run_id

    first, second = sorted(opened, key=lambda e: str(e.record_key))
    with live.rt.db.begin() as s:
        events.resolve(s, live.tenant_id, [first.id], actor="ops")
    rows[1]["status"] = "Bogus"  # the second record now also fails for another reason
    write_csv(live.files / "invoices.csv", rows)
    await run_integration(live.rt, live.tenant_id, iid)
    now_open = {(e.record_key, e.error_code): e for e in live.events()
                if e.status == "open" and e.kind == "record_rejected"}
    # resolved, then failing again: a new event; another reason: another event
    assert sorted((k, e.occurrences) for k, e in now_open.items()) == [
        ((first.record_key, "INVALID_FIELD"), 1),
        ((second.record_key, "INVALID_FIELD"), 3),
        ((second.record_key, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"), 1),
    ]
    assert now_open[(first.record_key, "INVALID_FIELD")].id != first.id
    assert now_open[(second.record_key, "INVALID_FIELD")].id == second.id


async def test_a_retry_rejected_again_opens_a_new_event_not_a_count(live: World) -> None:
    write_csv(live.files / "invoices.csv", invoice_rows(1, account="A-404"))
    iid = live.integration(reference=True)
    await run_integration(live.rt, live.tenant_id, iid)
    await run_integration(live.rt, live.tenant_id, iid)
    [event] = live.events(kind="record_rejected")
    assert event.occurrences == 2
    retry_run = await retry_events(live.rt, live.tenant_id, [event.id], actor="ops")
    old, new = sorted(live.events(kind="record_rejected"), key=lambda e: e.created_at)
    assert (old.id, old.status, old.occurrences) == (event.id, "retried", 2)
    assert (new.status, new.occurrences, new.run_id) == ("open", 1, retry_run)
    await run_integration(live.rt, live.tenant_id, iid)
    assert [e.occurrences for e in live.events(kind="record_rejected")] == [2, 2]


def _row(table: sa.Table, **values: object) -> dict[str, object]:
    """`values` with every other non-nullable column of `table` filled with a plain value."""
    filler: dict[str, object] = {}
    for column in table.columns:
        if column.nullable or column.name in values:
            continue
        python = column.type.python_type if hasattr(column.type, "python_type") else str
        filler[column.name] = {int: 0, bool: True, dict: {}, list: []}.get(python, "x")
    return filler | values


def test_upgrade_folds_open_repeats_into_the_oldest(database_url: str) -> None:
    db = Database(database_url)
    migrate.upgrade(db, "0006")
    meta = sa.MetaData()
    meta.reflect(db.engine)
    t = meta.tables
    at = utcnow() - timedelta(days=1)
    with db.engine.begin() as conn:
        conn.execute(t["tenants"].insert(), _row(t["tenants"], id="t1", name="acme",
                                                 created_at=at))
        conn.execute(t["integrations"].insert(), _row(
            t["integrations"], id="i1", tenant_id="t1", name="invoices", kind="entity_sync",
            config={}, notify_user_ids=[], created_at=at, updated_at=at))
        conn.execute(t["runs"].insert(), [
            _row(t["runs"], id=f"r{n}", tenant_id="t1", integration_id="i1", trigger="manual",
                 status="failed", started_at=at, heartbeat_at=at) for n in range(4)])

        def event(id: str, n: int, **extra: object) -> dict[str, object]:
            values: dict[str, object] = dict(
                id=id, tenant_id="t1", integration_id="i1", run_id=f"r{n}",
                kind="record_rejected", status="open", record_key="INV-1",
                error_code="INVALID_FIELD", message=f"try {n}", fields=[],
                payload={"n": n}, created_at=at + timedelta(minutes=n))
            return values | extra

        conn.execute(t["events"].insert(), [
            event("e0", 0), event("e1", 1), event("e2", 2),            # folded into e0
            event("e3", 3, status="resolved"),                      # not open: kept
            event("e4", 3, error_code="REQUIRED_FIELD_MISSING"),    # another reason: kept
            event("e5", 1, kind="delivery_failed", run_id=None),    # outbox: each its own
            event("e6", 2, kind="delivery_failed", run_id=None),
        ])
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.text(
            "SELECT id, occurrences, run_id, last_run_id, message FROM events"))}
    assert sorted(rows) == ["e0", "e3", "e4", "e5", "e6"]
    e0 = rows["e0"]
    assert (e0.occurrences, e0.run_id, e0.last_run_id, e0.message) == (3, "r0", "r2", "try 2")
    assert {rows[i].occurrences for i in ("e3", "e4", "e5", "e6")} == {1}
    assert rows["e4"].last_run_id == "r3"
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO events (id, tenant_id, integration_id, kind, status, record_key, "
            "error_code, message, fields, created_at, last_seen_at, occurrences) VALUES "
            "('e7', 't1', 'i1', 'record_rejected', 'open', 'INV-1', 'INVALID_FIELD', 'again', "
            "'[]', :at, :at, 1)"), {"at": utcnow()})
    db.dispose()
