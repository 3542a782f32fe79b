"""Runs end to end against the emulator: counts, unchanged records, rejections, modes, bulk."""

from __future__ import annotations

import pytest

from forcebridge.runs import run_integration
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


class Progress:
    def __init__(self) -> None:
        self.total: int | None = -1
        self.reads: list[int] = []

    def started(self, total: int | None) -> None:
        self.total = total

    def advance(self, read: int, counts: dict[str, int]) -> None:
        self.reads.append(read)


async def test_a_run_creates_then_skips_unchanged_then_sends_only_changes(world: World) -> None:
    rows = invoice_rows(450)
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration()
    progress = Progress()
    first = world.run(await run_integration(world.rt, world.tenant_id, "invoices",
                                            progress=progress))
    assert first.status == "succeeded", first.error
    assert (first.read, first.created, first.updated, first.unchanged, first.failed) == \
        (450, 450, 0, 0, 0)
    assert first.trigger == "manual" and first.ended_at is not None
    assert first.api_calls >= 3  # login, describe, 3 collections
    assert progress.total is None and progress.reads[-1] == 450
    assert len(world.invoices()) == 450
    state = world.state(iid)
    assert len(state) == 450
    by_number = {r["Invoice_Number__c"]: r["Id"] for r in world.invoices()}
    assert all(state[k][1] == by_number[k] for k in state)

    second = world.run(await run_integration(world.rt, world.tenant_id, iid, trigger="api"))
    assert (second.status, second.unchanged, second.created, second.updated) == \
        ("succeeded", 450, 0, 0)
    assert second.api_calls <= 2  # login and describe (the token names the org): none a record

    rows[7]["amount"] = "9999.99"
    write_csv(world.files / "invoices.csv", rows)
    third = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (third.updated, third.unchanged, third.created) == (1, 449, 0)
    assert next(r for r in world.invoices()
                if r["Invoice_Number__c"] == "INV-000007")["Amount__c"] == 9999.99
    with world.rt.db.session() as s:
        from forcebridge.store.integrations import Integration

        integration = s.get(Integration, iid)
        assert integration is not None and integration.running_run_id is None
        assert integration.failure_streak == 0


async def test_rejected_and_invalid_records_become_events_and_never_block_the_batch(
    world: World,
) -> None:
    world.emu.org.insert("Account", {"Name": "Acme", "External_Id__c": "A-1"})
    rows = invoice_rows(10, account="A-1")
    rows[3]["account"] = "A-404"  # Salesforce rejects: no such parent
    rows[5]["amount"] = "not a number"  # mapping rejects: bad value
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(reference=True)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.status == "partial"
    assert (run.read, run.created, run.failed) == (10, 8, 2)
    assert {r["Invoice_Number__c"] for r in world.invoices()} == \
        {f"INV-{i:06d}" for i in range(10)} - {"INV-000003", "INV-000005"}
    rejected = world.events(run.id, "record_rejected")
    assert len(rejected) == 1
    event = rejected[0]
    assert event.record_key == "INV-000003" and event.status == "open"
    assert event.error_code and event.message
    assert event.payload is not None
    assert event.payload["Account__r"] == {"External_Id__c": "A-404"}
    invalid = world.events(run.id, "record_invalid")
    assert [(e.record_key, e.fields) for e in invalid] == [("INV-000005", ["Amount__c"])]
    assert set(world.state(iid)) == {f"INV-{i:06d}" for i in range(10)} - \
        {"INV-000003", "INV-000005"}
