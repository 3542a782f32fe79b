"""Reliability against an unreliable org: transient failures, dropped answers, expiring
sessions, and a process killed mid-run. Every record ends up in the org exactly once and the
sync state matches the org (checked against the emulator's own tables)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update

from forcebridge.runs import AlreadyRunning, run_integration
from forcebridge.services.run_lifecycle import STALE_REASON
from forcebridge.store.runs import Run
from forcebridge.store.types import utcnow
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio
FAULTS = "error503=0.1,drop=0.05,expire_after={expire},seed=11"


def assert_org_matches_state(world: World, iid: str, n: int) -> None:
    numbers = Counter(r["Invoice_Number__c"] for r in world.invoices())
    assert len(numbers) == n and set(numbers.values()) == {1}, "a record is missing or twice"
    ids = {r["Invoice_Number__c"]: r["Id"] for r in world.invoices()}
    assert {k: v[1] for k, v in world.state(iid).items()} == ids


async def _sync_under_faults(
    world: World, n: int, bulk_threshold: int, expire: int, *, every_fault: bool = True
) -> None:
    world.rt.settings.run_bulk_poll_seconds = 0.01
    # small jobs: enough calls for every fault to be drawn (a run holds few of them now)
    world.rt.settings.run_bulk_job_records = max(500, n // 20)
    write_csv(world.files / "invoices.csv", invoice_rows(n))
    iid = world.integration(bulk_threshold=bulk_threshold)
    world.emu.faults(FAULTS.format(expire=expire))
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.status == "succeeded", [e.message for e in world.events(run.id)]
    assert (run.read, run.failed, run.created + run.updated) == (n, 0, n)
    injected = world.emu.emulator.faults.injected
    # a small run makes few writes, so only the larger one is sure to draw every fault
    drawn = [injected["error503"], injected["drop"], injected["expired"]]
    assert all(drawn) if every_fault else injected["expired"] and any(drawn[:2]), injected
    world.emu.faults("none")
    assert_org_matches_state(world, iid, n)
    again = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (again.unchanged, again.created, again.updated) == (n, 0, 0)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_twenty_thousand_records_through_faults_end_in_the_org_exactly_once(
    world: World,
) -> None:
    await _sync_under_faults(world, 20_000, bulk_threshold=10_000, expire=40)  # collections, then bulk


async def test_a_sync_through_faults_on_both_databases(world: World) -> None:
    await _sync_under_faults(world, 3_000, bulk_threshold=1_000, expire=7, every_fault=False)


class ProcessKilled(BaseException):
    """Stands for the process dying: nothing of the run's own cleanup runs."""


class KillAfter:
    def __init__(self, batches: int) -> None:
        self.left = batches

    def started(self, total: int | None) -> None:
        pass

    def advance(self, read: int, counts: dict[str, int]) -> None:
        self.left -= 1
        if self.left <= 0:
            raise ProcessKilled


async def test_a_run_killed_midway_is_completed_by_the_next_without_duplicates(
    world: World,
) -> None:
    n = 3_000
    write_csv(world.files / "invoices.csv", invoice_rows(n))
    iid = world.integration(batch_size=250)
    world.emu.faults("drop=0.05,seed=3")
    with pytest.raises(ProcessKilled):
        await run_integration(world.rt, world.tenant_id, iid, progress=KillAfter(4))
    with world.rt.db.session() as s:
        [killed] = s.query(Run).filter(Run.integration_id == iid).all()
    assert killed.status == "running"
    assert 0 < len(world.invoices()) < n
    assert len(world.state(iid)) <= len(world.invoices())  # never claims more than the org
    with pytest.raises(AlreadyRunning):
        await run_integration(world.rt, world.tenant_id, iid)
    old = utcnow() - timedelta(seconds=1)  # three heartbeats missed
    with world.rt.db.begin() as s:
        s.execute(update(Run).where(Run.id == killed.id).values(alive_until=old))
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.status == "succeeded" and run.read == n
    assert world.run(killed.id).status == "failed"
    assert world.run(killed.id).error == STALE_REASON
    world.emu.faults("none")
    assert_org_matches_state(world, iid, n)


async def test_inserts_whose_answers_are_lost_are_not_created_twice(world: World) -> None:
    n = 1_000
    write_csv(world.files / "invoices.csv", invoice_rows(n))
    iid = world.integration(mode="insert")
    world.emu.faults("drop=0.4,seed=2")
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.created) == ("succeeded", n), [e.message for e in world.events()]
    assert world.emu.emulator.faults.injected["drop"]
    world.emu.faults("none")
    assert_org_matches_state(world, iid, n)


class Cancel:
    def __init__(self, task: asyncio.Task[str] | None = None) -> None:
        self.task = task

    def started(self, total: int | None) -> None:
        pass

    def advance(self, read: int, counts: dict[str, int]) -> None:
        assert self.task is not None
        self.task.cancel()


async def test_a_cancelled_run_ends_failed_and_releases_the_lock(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(600))
    iid = world.integration(batch_size=100)
    world.rt.settings.run_heartbeat_seconds = 0.001
    progress = Cancel()
    task = asyncio.create_task(run_integration(world.rt, world.tenant_id, iid, progress=progress))
    progress.task = task
    with pytest.raises(asyncio.CancelledError):
        await task
    with world.rt.db.session() as s:
        [run] = s.query(Run).filter(Run.integration_id == iid).all()
    assert (run.status, run.error) == ("failed", "the run was interrupted")
    again = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert again.status == "succeeded" and again.created + again.updated == 600
    assert again.heartbeat_at > again.started_at  # it did beat
    assert_org_matches_state(world, iid, 600)
