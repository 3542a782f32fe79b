"""Plan (what a run would do, writing nothing), save-time checks, and retrying events."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from forcebridge.errors import InvalidInput
from forcebridge.runs import check_config, plan_integration, retry_events, run_integration
from forcebridge.services import connections
from forcebridge.store.runs import Event
from forcebridge.store.sync_state import SyncState
from forcebridge.sync.config import EntitySyncConfig
from tests.runs.conftest import World, invoice_config, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


async def test_plan_counts_what_a_run_would_do_and_writes_nothing(world: World) -> None:
    rows = invoice_rows(20)
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(mode="mirror",
                            filters={"restricted_account_ids": ["X"]})
    await run_integration(world.rt, world.tenant_id, iid)
    rows = rows[:15] + invoice_rows(3, start=40)
    rows[0]["amount"], rows[1]["amount"], rows[2]["account"] = "1.00", "bad", "X"
    write_csv(world.files / "invoices.csv", rows)
    calls_before = world.emu.emulator.usage.header()
    report = await plan_integration(world.rt, world.tenant_id, iid)
    usage = world.emu.emulator.usage
    assert report.problems == []
    found = report.as_dict()
    records = found.pop("records")
    assert found == {
        "problems": [], "would_create": 3, "would_update": 1, "would_unchanged": 12,
        "would_delete": 5, "would_filtered": 1, "would_invalid": 1, "would_send": 4,
        "org_id": world.emu.org.config.org_id, "state_records": 20, "reconcile_api_calls": 5,
        "records_more": False, "org_values_note": None,
        # the org's usage as its last answer reported it, and the default 80 % budget of it
        "api_used": usage.used, "api_allocation": usage.allocation,
        "api_budget": usage.allocation * 8 // 10,
    }
    # record by record: every change a run would make, field by field
    assert [(r["key"], r["action"]) for r in records] == [
        ("INV-000000", "update"), ("INV-000001", "reject"), ("INV-000040", "create"),
        ("INV-000041", "create"), ("INV-000042", "create"),
        *[(f"INV-0000{i}", "delete") for i in range(15, 20)],
    ]
    changed = records[0]
    assert changed["changed_fields"] == ["Amount__c"]  # read back from the org: 0.50 there
    amount = next(f for f in changed["fields"] if f["field"] == "Amount__c")
    assert (amount["org"], amount["value"], amount["compared"]) == (0.5, 1.0, True)
    assert records[2]["fields"] == [
        {"field": "Invoice_Number__c", "value": "INV-000040", "org": None, "compared": False,
         "differs": True},
        {"field": "Amount__c", "value": 40.5, "org": None, "compared": False, "differs": True},
        {"field": "Status__c", "value": "Paid", "org": None, "compared": False, "differs": True},
    ]
    assert records[1]["problems"][0]["field"] == "Amount__c"
    assert records[5]["salesforce_id"]
    few = await plan_integration(world.rt, world.tenant_id, iid, records=2)
    assert len(few.listing.records) == 2 and few.listing.more
    assert few.would_create == 3  # the counts do not depend on the listing
    assert len(world.invoices()) == 20 and len(world.state(iid)) == 20
    assert calls_before != world.emu.emulator.usage.header()  # it did describe


async def test_plan_counts_as_deletes_only_what_a_mirror_run_deletes(world: World) -> None:
    rows = invoice_rows(10)
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(mode="mirror")
    await run_integration(world.rt, world.tenant_id, iid)
    with world.rt.db.begin() as s:  # a state row whose Salesforce id was never learnt
        s.execute(update(SyncState).where(SyncState.integration_id == iid,
                                          SyncState.key == "INV-000009")
                  .values(salesforce_id=None))
    write_csv(world.files / "invoices.csv", rows[:7])
    report = await plan_integration(world.rt, world.tenant_id, iid)
    assert report.would_delete == 2  # INV-000009 is only forgotten
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.deleted == report.would_delete
    assert "INV-000009" not in world.state(iid)


async def test_plan_and_check_config_report_every_problem(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(1))
    raw = invoice_config(world.files / "invoices.csv", mapping={
        "target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
        "mappings": [{"field": "Invoice_Number__c", "column": "number"},
                     {"field": "Amount__c", "column": "missing_column"}],
    })
    with world.rt.db.session() as s:
        conn_id = connections.get(s, world.tenant_id, "org").id
    problems = await check_config(world.rt, world.tenant_id, conn_id,
                                  EntitySyncConfig.model_validate(raw))
    assert [(p.field, "missing_column" in p.reason) for p in problems] == [("Amount__c", True)]
    assert await check_config(world.rt, world.tenant_id, None,
                              EntitySyncConfig.model_validate(raw)) == []
    # a source that cannot be read yet does not stop a save, but plan names it
    raw["source"]["path"] = "later.csv"
    ok = {**raw, "mapping": invoice_config(world.files / "x.csv")["mapping"]}
    assert await check_config(world.rt, world.tenant_id, conn_id,
                              EntitySyncConfig.model_validate(ok)) == []
    world.integration("later")
    report = await plan_integration(world.rt, world.tenant_id, "later")
    assert [p.field for p in report.problems] == ["source"]
    missing = {**ok, "mapping": {**ok["mapping"], "target": {"object": "Nothing__c"}}}
    problems = await check_config(world.rt, world.tenant_id, conn_id,
                                  EntitySyncConfig.model_validate(missing))
    assert [p.field for p in problems] == ["Nothing__c"]


async def test_retry_resends_just_those_records(world: World) -> None:
    world.emu.org.insert("Account", {"Name": "Acme", "External_Id__c": "A-1"})
    rows = invoice_rows(4, account="A-1")
    rows[1]["account"] = rows[2]["account"] = "A-2"  # no such parent yet
    rows[3]["amount"] = "bad"
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(reference=True)
    first = await run_integration(world.rt, world.tenant_id, iid)
    events = world.events(first, "record_rejected")
    assert sorted(e.record_key or "" for e in events) == ["INV-000001", "INV-000002"]
    [invalid] = world.events(first, "record_invalid")
    with pytest.raises(InvalidInput, match="no record to resend"):
        await retry_events(world.rt, world.tenant_id, [events[0].id, invalid.id], actor="ops")
    # one of them still fails (parent missing), the other one's parent now exists
    world.emu.org.insert("Account", {"Name": "Beta", "External_Id__c": "A-2"})
    world.emu.org.insert("Invoice__c", {"Invoice_Number__c": "unrelated"})
    retry_id = await retry_events(world.rt, world.tenant_id, [events[0].id], actor="ops")
    run = world.run(retry_id)
    assert (run.trigger, run.status, run.read, run.created, run.failed) == \
        ("retry", "succeeded", 1, 1, 0)
    with world.rt.db.session() as s:
        retried = s.get(Event, events[0].id)
        other = s.get(Event, events[1].id)
    assert retried is not None and retried.status == "retried" and retried.resolved_by == "ops"
    assert other is not None and other.status == "open"
    assert events[0].record_key in world.state(iid)
    # nothing left to send for it: the next run sees it unchanged
    again = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (again.created, again.unchanged, again.failed) == (1, 2, 1)  # the never-retried one


async def test_a_retry_rejected_again_opens_a_new_event(world: World) -> None:
    rows = invoice_rows(1, account="A-9")
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration(reference=True)
    first = await run_integration(world.rt, world.tenant_id, iid)
    [event] = world.events(first, "record_rejected")
    retry_id = await retry_events(world.rt, world.tenant_id, [event.id], actor="ops")
    run = world.run(retry_id)
    assert (run.status, run.failed) == ("failed", 1)  # it wrote nothing
    [new] = world.events(retry_id, "record_rejected")
    assert new.id != event.id and new.status == "open" and new.payload == event.payload
    assert world.state(iid) == {}
