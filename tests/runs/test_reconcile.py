"""Read-back reconciliation against the emulator on a socket: an org that lost its data, records
deleted and fields edited in Salesforce (repaired or kept by their owner), lost links,
orphans, the Bulk API read, and when scheduled runs reconcile."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from harness.served import Served, serve
from sqlalchemy import delete, select, update

from forcebridge.runs import plan_integration, run_integration
from forcebridge.runtime import Runtime
from forcebridge.salesforce import Credentials, SalesforceClient
from forcebridge.scheduling.due import Due
from forcebridge.scheduling.work import scheduled_run
from forcebridge.services import connections, integrations
from forcebridge.services.connections import ConnectionInput
from forcebridge.services.integrations import IntegrationInput
from forcebridge.store.runs import Event, Run
from forcebridge.store.sync_state import SyncState
from forcebridge.store.types import utcnow
from tests.emulated_org import connected_tenant
from tests.granted import grant_files
from tests.runs.conftest import invoice_config, invoice_rows, write_csv
from tests.salesforce.emulated import Emulated, on_socket

pytestmark = pytest.mark.anyio


@dataclass
class Synced:
    rt: Runtime
    tenant_id: str
    iid: str
    csv: Path

    async def run(self, **kw: Any) -> Run:
        run_id = await run_integration(self.rt, self.tenant_id, self.iid, **kw)
        return self.ran(run_id)

    async def scheduled(self) -> Run:
        """A run as the scheduler starts one for a claimed tick (embedded or on a worker)."""
        now = utcnow()
        tick = Due(self.iid, self.tenant_id, scheduled_for=now, next_run_at=now)
        run_id = await scheduled_run(self.rt, tick)
        assert run_id is not None
        return self.ran(run_id)

    def ran(self, run_id: str) -> Run:
        with self.rt.db.session() as s:
            found = s.get(Run, run_id)
            assert found is not None
            return found

    def configure(self, **config: Any) -> None:
        with self.rt.db.begin() as s:
            integrations.update(s, self.rt.vault, self.tenant_id, self.iid,
                                IntegrationInput(config=invoice_config(self.csv, **config)))

    def events(self, kind: str) -> list[Event]:
        with self.rt.db.session() as s:
            return list(s.scalars(select(Event).where(Event.integration_id == self.iid,
                                                      Event.kind == kind)))


def add_integration(rt: Runtime, tenant_id: str, csv: Path, **config: Any) -> str:
    grant_files(rt, tenant_id, csv.parent)
    with rt.db.begin() as s:
        return integrations.create(
            s, rt.vault, tenant_id,
            IntegrationInput(name="invoices", kind="entity_sync", connection="org",
                             config=invoice_config(csv, **config)),
        ).id


@pytest.fixture
def socket_org() -> Iterator[Emulated]:
    with on_socket() as emu:
        yield emu


def synced_to(rt: Runtime, emu: Emulated, tmp_path: Path, n: int = 30, **config: Any) -> Synced:
    csv = tmp_path / "invoices.csv"
    write_csv(csv, invoice_rows(n))
    with rt.db.begin() as s:
        tenant_id = connected_tenant(s, rt, emu, connection="org")
    return Synced(rt, tenant_id, add_integration(rt, tenant_id, csv, **config), csv)


def by_number(emu: Emulated) -> dict[str, dict[str, Any]]:
    return {r["Invoice_Number__c"]: r for r in emu.org.iter_records("Invoice__c")}


OWNED = [
    {"field": "Invoice_Number__c", "column": "number"},
    {"field": "Amount__c", "column": "amount", "transform": {"type": "number", "scale": 2}},
    {"field": "Status__c", "column": "status", "owner": "salesforce",
     "transform": {"type": "value_map", "values": {"sent": "Sent", "paid": "Paid"}}},
    {"field": "Paid__c", "constant": False, "on_conflict": "keep"},
    {"field": "Issued_On__c", "constant": "2026-01-31", "on_conflict": "event"},
]


def owned_mapping() -> dict[str, Any]:
    return {"target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
            "mappings": OWNED}


async def test_records_deleted_and_fields_edited_in_the_org_are_repaired_by_owner(
    runtime: Runtime, socket_org: Emulated, tmp_path: Path,
) -> None:
    emu = socket_org
    synced = synced_to(runtime, emu, tmp_path, mapping=owned_mapping())
    first = await synced.run()
    assert (first.status, first.created) == ("succeeded", 30)
    org = emu.org
    records = by_number(emu)
    for number in ("INV-000001", "INV-000002", "INV-000003"):
        org.delete("Invoice__c", records[number]["Id"])
    org.update("Invoice__c", records["INV-000010"]["Id"], {"Amount__c": 1.0})  # overwrite
    org.update("Invoice__c", records["INV-000011"]["Id"], {"Status__c": "Void"})  # salesforce's
    org.update("Invoice__c", records["INV-000012"]["Id"], {"Paid__c": True})  # keep
    org.update("Invoice__c", records["INV-000013"]["Id"], {"Issued_On__c": "2020-01-01"})  # event

    blind = await synced.run()  # what the state believes: nothing to do
    assert (blind.created, blind.updated, blind.unchanged) == (0, 0, 30)

    plan = await plan_integration(runtime, synced.tenant_id, synced.iid)
    assert plan.reconcile_api_calls >= 3
    fixed = await synced.run(reconcile=True)
    assert fixed.status == "succeeded"
    assert fixed.reconciliation == {"missing": 3, "drifted": 3, "relinked": 0, "orphaned": 0,
                                    "org_records": 27, "read_with": "soql"}
    assert (fixed.created, fixed.updated, fixed.failed) == (3, 1, 0)
    assert fixed.api_calls <= plan.reconcile_api_calls + 2  # + 1 write per kind of repair
    after = by_number(emu)
    assert len(after) == 30
    assert after["INV-000001"]["Amount__c"] == 1.5
    assert after["INV-000010"]["Amount__c"] == 10.5
    assert after["INV-000011"]["Status__c"] == "Void"
    assert after["INV-000012"]["Paid__c"] is True
    assert after["INV-000013"]["Issued_On__c"] == "2020-01-01"
    [conflict] = synced.events("field_conflict")
    assert (conflict.record_key, conflict.fields) == ("INV-000013", ["Issued_On__c"])

    again = await synced.run(reconcile=True)  # kept values still differ: nothing rewritten
    assert again.reconciliation is not None
    assert (again.reconciliation["missing"], again.created, again.updated) == (0, 0, 0)
    assert len(synced.events("field_conflict")) == 1  # the open one is not opened twice


async def test_a_salesforce_owned_field_is_written_on_create_only(
    runtime: Runtime, socket_org: Emulated, tmp_path: Path,
) -> None:
    synced = synced_to(runtime, socket_org, tmp_path, n=4, mapping=owned_mapping())
    await synced.run()
    assert by_number(socket_org)["INV-000001"]["Status__c"] == "Sent"
    rows = invoice_rows(4)
    rows[1]["status"], rows[1]["amount"] = "paid", "77.00"
    write_csv(synced.csv, rows)
    run = await synced.run()
    assert (run.updated, run.failed) == (1, 0)
    record = by_number(socket_org)["INV-000001"]
    assert (record["Amount__c"], record["Status__c"]) == (77.0, "Sent")


async def test_records_the_state_lost_are_relinked_without_a_write(
    runtime: Runtime, socket_org: Emulated, tmp_path: Path,
) -> None:
    synced = synced_to(runtime, socket_org, tmp_path)
    await synced.run()
    with runtime.db.begin() as s:
        s.execute(delete(SyncState).where(SyncState.integration_id == synced.iid))
    run = await synced.run(reconcile=True)
    assert run.reconciliation is not None and run.reconciliation["relinked"] == 30
    assert (run.created, run.updated, run.unchanged) == (0, 0, 30)
    with runtime.db.session() as s:
        ids = dict(s.execute(select(SyncState.key, SyncState.salesforce_id)
                             .where(SyncState.integration_id == synced.iid)).all())
    assert ids == {k: r["Id"] for k, r in by_number(socket_org).items()}


@pytest.mark.parametrize("mode", ["upsert", "mirror"])
async def test_orphans_are_counted_and_deleted_only_in_mirror_mode(
    runtime: Runtime, socket_org: Emulated, tmp_path: Path, mode: str,
) -> None:
    synced = synced_to(runtime, socket_org, tmp_path, n=10, mode=mode)
    await synced.run()
    write_csv(synced.csv, invoice_rows(8))  # INV-000008 and 9 left the source
    run = await synced.run(reconcile=True)
    assert run.reconciliation is not None and run.reconciliation["orphaned"] == 2
    assert run.deleted == (2 if mode == "mirror" else 0)
    assert len(by_number(socket_org)) == (8 if mode == "mirror" else 10)


async def test_a_large_integration_reads_the_org_back_with_a_bulk_query(
    runtime: Runtime, socket_org: Emulated, tmp_path: Path,
) -> None:
    runtime.settings.run_bulk_poll_seconds = 0.01
    synced = synced_to(runtime, socket_org, tmp_path, n=60, bulk_threshold=20)
    await synced.run()
    records = by_number(socket_org)
    socket_org.org.delete("Invoice__c", records["INV-000005"]["Id"])
    socket_org.org.update("Invoice__c", records["INV-000006"]["Id"], {"Amount__c": 0})
    run = await synced.run(reconcile=True)
    assert run.reconciliation is not None
    assert {k: run.reconciliation[k] for k in ("missing", "drifted", "read_with")} == \
        {"missing": 1, "drifted": 1, "read_with": "bulk"}
    assert by_number(socket_org)["INV-000006"]["Amount__c"] == 6.5
    assert len(by_number(socket_org)) == 60


@pytest.mark.parametrize("read_ahead", [1, 25, 10_000])
async def test_the_source_read_ahead_of_the_org_waits_for_it_and_settles_the_same(
    runtime: Runtime, socket_org: Emulated, tmp_path: Path, read_ahead: int,
) -> None:
    """The org is read while the source is: records wait for their org row (at most
    `read_ahead`, then the source waits); the outcome never depends on which came first."""
    runtime.settings.run_bulk_poll_seconds = 0.01
    runtime.settings.run_reconcile_read_ahead = read_ahead
    synced = synced_to(runtime, socket_org, tmp_path, n=120, bulk_threshold=20, batch_size=7,
                       mapping=owned_mapping())
    await synced.run()
    records = by_number(socket_org)
    for number in ("INV-000000", "INV-000050", "INV-000119"):
        socket_org.org.delete("Invoice__c", records[number]["Id"])
    socket_org.org.update("Invoice__c", records["INV-000001"]["Id"], {"Amount__c": 0})
    socket_org.org.update("Invoice__c", records["INV-000114"]["Id"], {"Issued_On__c": "2020-01-01"})
    with runtime.db.begin() as s:  # the state lost one: relinked, not written
        s.execute(delete(SyncState).where(SyncState.integration_id == synced.iid,
                                          SyncState.key == "INV-000060"))
    write_csv(synced.csv, invoice_rows(115))  # 115..119 left the source: orphans (one gone)
    run = await synced.run(reconcile=True)
    assert run.status == "succeeded"
    assert run.reconciliation == {"missing": 2, "drifted": 2, "relinked": 1, "orphaned": 4,
                                  "org_records": 117, "read_with": "bulk"}
    assert (run.created, run.updated, run.unchanged, run.failed) == (2, 1, 112, 0)
    after = by_number(socket_org)
    assert len(after) == 119
    assert after["INV-000001"]["Amount__c"] == 1.5
    assert after["INV-000114"]["Issued_On__c"] == "2020-01-01"
    assert [e.record_key for e in synced.events("field_conflict")] == ["INV-000114"]


async def test_scheduled_runs_reconcile_as_the_integration_says(
    runtime: Runtime, socket_org: Emulated, tmp_path: Path,
) -> None:
    synced = synced_to(runtime, socket_org, tmp_path, n=3)
    first = await synced.scheduled()
    second = await synced.scheduled()
    assert first.reconciliation is not None and second.reconciliation is None  # daily
    synced.configure(reconcile="* * * * *")  # every minute: due at each minute's tick
    with runtime.db.begin() as s:  # the reconciling run started before the latest tick
        s.execute(update(Run).where(Run.id == first.id)
                  .values(started_at=first.started_at - timedelta(minutes=2)))
    assert (await synced.scheduled()).reconciliation is not None
    synced.configure(reconcile="off")
    assert (await synced.scheduled()).reconciliation is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _numbers(served: Served) -> list[str]:
    client = SalesforceClient(Credentials(
        flow="password", login_url=served.base_url, consumer_key=served.consumer_key,
        consumer_secret=served.consumer_secret, username=served.username,
        password=served.password, security_token=served.security_token))
    async with client:
        return sorted([r["Invoice_Number__c"]
                       async for r in client.query("SELECT Invoice_Number__c FROM Invoice__c")])


async def test_an_org_that_lost_its_data_is_restored_by_reconciliation(
    runtime: Runtime, tmp_path: Path,
) -> None:
    port = _free_port()
    csv = tmp_path / "invoices.csv"
    write_csv(csv, invoice_rows(25))
    with serve("--port", str(port)) as served:
        body = {"name": "org", "environment": "custom", "login_url": served.base_url,
                "auth_flow": "password", "consumer_key": served.consumer_key,
                "consumer_secret": served.consumer_secret, "username": served.username,
                "password": served.password, "security_token": served.security_token}
        with runtime.db.begin() as s:
            from forcebridge.services import tenants

            tenant_id = tenants.create(s, "acme").id
            connections.create(s, runtime.vault, tenant_id, ConnectionInput(**body))
        synced = Synced(runtime, tenant_id, add_integration(runtime, tenant_id, csv), csv)
        assert (await synced.run()).created == 25
    with serve("--port", str(port)) as restarted:  # no --state: the same org, empty
        assert await _numbers(restarted) == []
        blind = await synced.run()
        assert (blind.created, blind.unchanged) == (0, 25)  # the state alone cannot tell
        fixed = await synced.run(reconcile=True)
        assert fixed.reconciliation is not None and fixed.reconciliation["missing"] == 25
        assert fixed.created == 25
        assert await _numbers(restarted) == [f"INV-{i:06d}" for i in range(25)]


def test_reconcile_schedules_are_checked_at_save(runtime: Runtime, tmp_path: Path) -> None:
    from forcebridge.errors import InvalidInput

    with runtime.db.begin() as s:
        from forcebridge.services import tenants

        tenant_id = tenants.create(s, "acme").id
        with pytest.raises(InvalidInput) as caught:
            integrations.create(s, runtime.vault, tenant_id, IntegrationInput(
                name="x", kind="entity_sync",
                config=invoice_config(tmp_path / "x.csv", reconcile="hourly")))
    assert "config.reconcile" in str(caught.value.details)


def test_records_and_org_rows_match_in_either_order_and_a_value_is_matched_once() -> None:
    from forcebridge.runs.matching import Matching, ReconcilePlan, Reconciliation
    from forcebridge.sync.diff import Change, Diffed
    from forcebridge.sync.mapper import compile_mapping
    from forcebridge.sync.mapping import MappingSpec, SyncMode

    spec = MappingSpec.model_validate(invoice_config(Path("x.csv"))["mapping"])
    match = Matching(ReconcilePlan(compile_mapping(spec), None, SyncMode.UPSERT), Reconciliation(), 10)

    def record(key: str, number: str | None) -> Diffed:
        return Diffed(key, {"Invoice_Number__c": number}, "h", Change.UNCHANGED, None, 0)

    match.org_row("N1", b"org-1")  # the org first
    match.source([record("a", "N1"), record("b", "N2"), record("c", "N2"), record("d", None)])
    assert [(d.key, hit) for d, hit in match.take()] == [("a", b"org-1"), ("c", None),
                                                        ("d", None)]
    assert list(match.waiting) == ["N2"]  # b waits for its org row; c, a second N2, does not
    match.org_row("N2", b"org-2")  # then the source
    match.org_row("N3", b"org-3")  # nobody's: left for the orphan check
    match.source([record("e", "N4")])
    match.org_done()
    assert [(d.key, hit) for d, hit in match.take()] == [("b", b"org-2"), ("e", None)]
    assert match.index == {"N3": b"org-3"} and match.waiting == {}
    match.source([record("f", "N3")])  # after the org was read: matched at once
    assert [(d.key, hit) for d, hit in match.take()] == [("f", b"org-3")]


def test_a_held_record_is_settled_by_the_digests_of_its_last_write() -> None:
    """A record whose row did not change since its last write is judged by what that write
    left (its id and field digests) against the org's row: equal, it is unchanged without
    being mapped (its row here would map to other values); otherwise it is mapped and
    settled as any record (relinked, drifted, missing)."""
    from forcebridge.runs.matching import ReconcilePlan, Reconciliation
    from forcebridge.sources.base import SourceRecord
    from forcebridge.sync.diff import (
        Change,
        DictState,
        Differ,
        Held,
        SyncedState,
        payload_hash,
    )
    from forcebridge.sync.mapper import compile_mapping
    from forcebridge.sync.mapping import MappingSpec, SyncMode

    spec = MappingSpec.model_validate(invoice_config(Path("x.csv"))["mapping"])
    mapper = compile_mapping(spec)
    plan = ReconcilePlan(mapper, None, SyncMode.UPSERT)
    differ = Differ(DictState({}), scope=mapper.scope, track_seen=False,
                    compared=plan.compared)
    row = {"number": "N1", "account": "A1", "amount": "99", "status": "paid"}
    payload = mapper.map(SourceRecord("N1", None, dict(row), 1)).payload
    written = plan.compared.stamp({**payload, "Amount__c": 1.5})  # what the org was sent
    org_id = "a01000000000001AAA"

    def held(key: str, sf_id: str | None = org_id) -> Held:
        record = SourceRecord(key, None, {**row, "number": key}, 1)
        unchanged_since = payload_hash(mapper.map(record).payload, mapper.scope)
        return Held(record, key, SyncedState(unchanged_since, sf_id, "raw", written))

    org_row = org_id.encode() + written[4:]
    found = Reconciliation()
    settled = plan.settle([
        (held("N1"), org_row),  # unchanged: not mapped
        (held("N2", "a01000000000009AAA"), org_row),  # the org has it under another id
        (held("N3"), org_id.encode() + plan.compared.pack({**payload, "Amount__c": 2.0})),
        (held("N4"), None),  # deleted in the org
    ], differ, found)
    assert settled.unchanged == 1  # N1; N2 is mapped, relinked, and its amount differs
    assert (found.relinked, found.drifted, found.missing) == (1, 2, 1)
    assert [(d.key, d.change, d.payload.get("Amount__c")) for d in settled.send] == [
        ("N2", Change.CHANGED, 99.0), ("N3", Change.CHANGED, 99.0), ("N4", Change.NEW, 99.0)]
    # what is sent is stamped with the source's values: the next reconciliation holds it
    assert all(d.digests == plan.compared.stamp(d.payload) for d in settled.send)


@pytest.mark.parametrize("kept", [True, False], ids=["digests", "written-before-digests"])
async def test_drift_is_found_whether_or_not_the_state_kept_digests_of_the_last_write(
    runtime: Runtime, socket_org: Emulated, tmp_path: Path, kept: bool,
) -> None:
    """Every record a run writes is stamped in the state with its compared fields' digests;
    a reconciliation checks unchanged rows by them, and rows written before the state kept
    them (NULL) are mapped and compared as before: the same drift is found either way."""
    synced = synced_to(runtime, socket_org, tmp_path, n=12)
    assert (await synced.run()).created == 12
    with runtime.db.begin() as s:
        stamps = list(s.scalars(select(SyncState.field_digests)
                                .where(SyncState.integration_id == synced.iid)))
        assert len(stamps) == 12 and all(d is not None and len(d) == 4 + 4 * 2 for d in stamps)
        if not kept:
            s.execute(update(SyncState).where(SyncState.integration_id == synced.iid)
                      .values(field_digests=None))
    org = socket_org.org
    records = by_number(socket_org)
    org.update("Invoice__c", records["INV-000004"]["Id"], {"Amount__c": 1.0})
    org.update("Invoice__c", records["INV-000005"]["Id"], {"Status__c": "Void"})
    org.delete("Invoice__c", records["INV-000006"]["Id"])
    fixed = await synced.run(reconcile=True)
    assert fixed.reconciliation is not None
    assert (fixed.reconciliation["drifted"], fixed.reconciliation["missing"]) == (2, 1)
    assert (fixed.created, fixed.updated, fixed.unchanged) == (1, 2, 9)
    after = by_number(socket_org)
    assert after["INV-000004"]["Amount__c"] == 4.5 and after["INV-000005"]["Status__c"] != "Void"
    with runtime.db.begin() as s:
        repaired = dict(s.execute(select(SyncState.key, SyncState.field_digests).where(
            SyncState.integration_id == synced.iid,
            SyncState.key.in_(["INV-000004", "INV-000005", "INV-000006"]))).all())
    assert all(d is not None for d in repaired.values())  # repairs are stamped again
    again = await synced.run(reconcile=True)
    assert again.reconciliation is not None and again.reconciliation["drifted"] == 0
    assert (again.created, again.updated, again.unchanged) == (0, 0, 12)
