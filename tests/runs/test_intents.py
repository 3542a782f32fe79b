"""What a killed run leaves between Salesforce's answer and the sync state: creates and Bulk
jobs recorded as intents, settled against the org by the next run before it writes anything.

Each test makes the aftermath of a kill in the store exactly: a real run syncs, then some
keys' state rows become the intents the killed run would have left (their records in the org,
or not), and the next run must neither duplicate nor lose nor resend them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import delete, select

from forcebridge.runs import run_integration
from forcebridge.salesforce.bulk import csv_chunks
from forcebridge.store.runs import Run
from forcebridge.store.sync_state import SyncState
from forcebridge.store.types import utcnow
from forcebridge.store.write_intents import WriteIntent
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


def dead_run(world: World, iid: str) -> str:
    with world.rt.db.begin() as s:
        run = Run(tenant_id=world.tenant_id, integration_id=iid, trigger="manual",
                  status="failed", error="the process running it stopped", ended_at=utcnow())
        s.add(run)
        s.flush()
        return run.id


def to_intents(world: World, iid: str, run_id: str, keys: list[str], *,
               job_id: str | None = None, hash: str | None = None,
               payload: bool = False) -> None:
    """Forget `keys` in the sync state and leave them as intents of `run_id` instead."""
    with world.rt.db.begin() as s:
        rows = {k: (h, r) for k, h, r in s.execute(
            select(SyncState.key, SyncState.hash, SyncState.raw_hash)
            .where(SyncState.integration_id == iid, SyncState.key.in_(keys)))}
        s.execute(delete(SyncState).where(SyncState.integration_id == iid,
                                          SyncState.key.in_(keys)))
        records = []
        for key in keys:
            stored_hash, raw = rows.get(key, (hash or "0" * 32, None))
            records.append([key, hash or stored_hash, raw, None if payload else key,
                            {"Invoice_Number__c": key} if payload else None])
        s.add(WriteIntent(integration_id=iid, run_id=run_id, job_id=job_id, records=records))


def intents_left(world: World, iid: str) -> int:
    with world.rt.db.session() as s:
        return len(list(s.scalars(select(WriteIntent.id).where(
            WriteIntent.integration_id == iid))))


def numbers(world: World) -> Counter[str]:
    return Counter(r["Invoice_Number__c"] for r in world.invoices())


def keys(start: int, stop: int) -> list[str]:
    return [f"INV-{i:06d}" for i in range(start, stop)]


async def test_creates_a_killed_insert_run_left_are_found_in_the_org_not_made_again(
    world: World,
) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(250))
    iid = world.integration(mode="insert")
    first = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert first.created == 250
    killed = dead_run(world, iid)
    to_intents(world, iid, killed, keys(150, 250))  # created in the org, never recorded
    to_intents(world, iid, killed, keys(250, 300))  # intended, never sent
    write_csv(world.files / "invoices.csv", invoice_rows(300))
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.created, run.unchanged) == ("succeeded", 50, 250)
    assert numbers(world) == Counter(keys(0, 300)), "a record is missing or twice"
    ids = {r["Invoice_Number__c"]: r["Id"] for r in world.invoices()}
    assert {k: v[1] for k, v in world.state(iid).items()} == ids
    assert world.run(killed).created == 100  # what Salesforce confirmed for the killed run
    assert intents_left(world, iid) == 0


async def test_without_an_external_id_an_unknown_create_is_an_event_never_a_duplicate(
    world: World,
) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(20))
    mapping = {"target": {"object": "Invoice__c"},
               "mappings": [{"field": "Invoice_Number__c", "column": "number"}]}
    iid = world.integration(mode="insert", mapping=mapping)
    assert world.run(await run_integration(world.rt, world.tenant_id, iid)).created == 20
    killed = dead_run(world, iid)
    to_intents(world, iid, killed, keys(15, 20), payload=True)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.created == 0
    assert numbers(world) == Counter(keys(0, 20))
    unknown = world.events(killed)
    assert sorted(e.record_key or "" for e in unknown) == keys(15, 20)
    assert {e.error_code for e in unknown} == {"OUTCOME_UNKNOWN"}
    assert all(e.payload == {"Invoice_Number__c": e.record_key} for e in unknown)
    assert world.run(killed).failed == 5
    again = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert again.created == 0 and len(world.invoices()) == 20  # still never created twice


async def _job(world: World, rows: list[dict[str, Any]], *, upload: bool) -> str:
    """A Bulk upsert job of `rows` made in the org as a run would: done, or left open."""
    async with world.emu.client() as client:
        columns = ["Invoice_Number__c", "Amount__c", "Status__c"]
        data = [{"Invoice_Number__c": r["number"], "Amount__c": r["amount"],
                 "Status__c": "Sent" if r["status"] == "sent" else "Paid"} for r in rows]
        if upload:
            job = await client.bulk_ingest(
                "Invoice__c", "upsert", lambda: csv_chunks(columns, data),
                external_id_field="Invoice_Number__c", poll_interval=0.01)
            assert job.state == "JobComplete"
            return job.id
        from forcebridge.salesforce import bulk

        opened = await bulk.create_job(client._session, "Invoice__c", "upsert",
                                       external_id_field="Invoice_Number__c")
        return opened.id


async def test_a_bulk_job_a_killed_run_left_is_found_and_its_results_used(world: World) -> None:
    rows = invoice_rows(300)
    write_csv(world.files / "invoices.csv", rows)
    iid = world.integration()
    assert world.run(await run_integration(world.rt, world.tenant_id, iid)).created == 300
    before = {k: v[1] for k, v in world.state(iid).items()}
    killed = dead_run(world, iid)
    done = await _job(world, rows[200:300], upload=True)
    to_intents(world, iid, killed, keys(200, 300), job_id=done)
    still_open = await _job(world, rows[100:150], upload=False)
    to_intents(world, iid, killed, keys(100, 150), job_id=still_open)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    # the finished job's records are not sent again; the open job's are
    assert (run.status, run.updated, run.unchanged, run.created) == ("succeeded", 50, 250, 0)
    assert world.run(killed).updated == 100
    assert {k: v[1] for k, v in world.state(iid).items()} == before
    async with world.emu.client() as client:
        assert (await client.bulk_job(still_open)).state == "Aborted"
    assert numbers(world) == Counter(keys(0, 300))
    assert intents_left(world, iid) == 0
