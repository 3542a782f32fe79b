"""Modes (mirror, insert, update) and the switch to Bulk API 2.0 past the threshold."""

from __future__ import annotations

import pytest

from forcebridge.runs import run_integration
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


async def test_mirror_deletes_what_left_the_source_and_forgets_it(world: World) -> None:
    rows = invoice_rows(30)
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(mode="mirror")
    await run_integration(world.rt, world.tenant_id, iid)
    write_csv(world.files / "invoices.csv", rows[:20] + invoice_rows(2, start=100))
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.deleted, run.created, run.unchanged) == ("succeeded", 10, 2, 20)
    numbers = sorted(r["Invoice_Number__c"] for r in world.invoices())
    assert numbers == sorted([r["number"] for r in rows[:20]] + ["INV-000100", "INV-000101"])
    assert sorted(world.state(iid)) == numbers


async def test_mirror_deletes_nothing_when_the_source_fails_halfway(world: World) -> None:
    rows = invoice_rows(30)
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(mode="mirror", batch_size=10)
    await run_integration(world.rt, world.tenant_id, iid)
    text = (world.files / "invoices.csv").read_text().splitlines()
    (world.files / "invoices.csv").write_text("\n".join([*text[:15], 'bad,"line']) + "\n")
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.status == "failed" and run.deleted == 0
    assert len(world.invoices()) == 30
    [event] = world.events(run.id)
    assert event.kind == "run_failed" and "source" in event.message


async def test_insert_mode_creates_new_records_only(world: World) -> None:
    rows = invoice_rows(5)
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(mode="insert")
    await run_integration(world.rt, world.tenant_id, iid)
    rows[0]["amount"] = "1.00"
    write_csv(world.files / "invoices.csv", rows + invoice_rows(1, start=50))
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.created, run.updated, run.unchanged) == (1, 0, 5)
    assert len(world.invoices()) == 6


async def test_update_mode_updates_existing_records_and_never_creates(world: World) -> None:
    existing = world.emu.org.insert("Invoice__c", {"Invoice_Number__c": "INV-000001"})
    rows = invoice_rows(2)  # INV-000000 is not in the org
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(mode="update")
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.updated, run.created, run.failed) == ("partial", 1, 0, 1)
    [event] = world.events(run.id, "record_rejected")
    assert event.record_key == "INV-000000" and event.error_code == "NOT_FOUND"
    assert world.state(iid)["INV-000001"][1] == existing.id
    assert len(world.invoices()) == 1


async def test_more_changes_than_the_threshold_go_through_bulk(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(900))
    world.rt.settings.run_bulk_job_records = 300
    world.rt.settings.run_bulk_poll_seconds = 0.01
    iid = world.integration(bulk_threshold=200)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.created, run.failed) == ("succeeded", 900, 0)
    assert len(world.invoices()) == 900
    state = world.state(iid)
    ids = {r["Invoice_Number__c"]: r["Id"] for r in world.invoices()}
    assert {k: v[1] for k, v in state.items()} == ids
    assert len(world.emu.emulator.bulk.jobs) == 3  # 900 records in jobs of 300
    # a record the bulk job rejects is an event like any other
    rows = invoice_rows(900)
    for r in rows[400:650]:
        r["status"] = "Bogus"  # passthrough: the restricted picklist refuses it
    write_csv(world.files / "invoices.csv", rows)
    again = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (again.status, again.failed, again.unchanged) == ("failed", 250, 650)  # none written
    events = world.events(again.id, "record_rejected")
    assert len(events) == 250 and all(e.error_code for e in events)
    # the payload a retry resends is the one mapped, values of their own types
    sent = {e.record_key: e.payload for e in events}
    assert sent["INV-000401"] == {"Invoice_Number__c": "INV-000401", "Amount__c": 401.5,
                                  "Status__c": "Bogus"}


async def test_records_sharing_an_external_id_value_in_a_bulk_job_are_each_answered(
    world: World,
) -> None:
    # the key is the invoice number, but the external id comes from another column, so
    # several records of one bulk job carry the same external id value
    write_csv(world.files / "invoices.csv", invoice_rows(600))
    world.rt.settings.run_bulk_job_records = 300
    world.rt.settings.run_bulk_poll_seconds = 0.01
    mapping = {
        "target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
        "mappings": [
            {"field": "Invoice_Number__c", "column": "status"},
            {"field": "Amount__c", "column": "amount",
             "transform": {"type": "number", "scale": 2}},
        ],
    }
    iid = world.integration(bulk_threshold=100, mapping=mapping)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.read == 600
    assert run.created + run.updated + run.failed == 600  # none silently dropped
    assert sorted(r["Invoice_Number__c"] for r in world.invoices()) == ["paid", "sent"]
    confirmed = set(world.state(iid))
    rejected = {e.record_key for e in world.events(run.id, "record_rejected")}
    assert len(confirmed | rejected) == 600


async def test_the_source_waits_while_every_bulk_job_slot_is_taken(world: World) -> None:
    # jobs of 300 that take the org a while: when three are open, the run reads no further
    # than the batch it was adding (the next job's records are read once one ends)
    write_csv(world.files / "invoices.csv", invoice_rows(3000))
    world.rt.settings.run_bulk_job_records = 300
    world.rt.settings.run_bulk_poll_seconds = 0.01
    world.emu.faults("bulk_rate=1000,bulk_parallel=10,bulk_batch=100")
    iid = world.integration(bulk_threshold=200, batch_size=50)
    jobs = world.emu.emulator.bulk.jobs
    ahead: list[int] = []  # records read beyond those sent, whenever three jobs were open
    opened: list[int] = []

    class Watch:
        def started(self, total: int | None) -> None:
            pass

        def advance(self, read: int, counts: dict[str, int]) -> None:
            states = [j.state for j in jobs.values()]
            opened.append(sum(s in ("Open", "UploadComplete", "InProgress") for s in states))
            if opened[-1] == 3:
                ahead.append(read - 200 - 300 * len(states))  # 200 went by collections

    run = world.run(await run_integration(world.rt, world.tenant_id, iid, progress=Watch()))
    assert (run.status, run.created) == ("succeeded", 3000)
    assert max(opened) >= 2  # the source was read while jobs ran
    assert max(ahead, default=0) <= 50  # not a whole job ahead (300) while three ran
