"""Scheduler passes that start real runs (the runs engine) against the emulated org."""

from __future__ import annotations

import asyncio

import pytest

from forcebridge.runtime import Runtime
from forcebridge.scheduling import Scheduler, tick
from forcebridge.services import connections
from forcebridge.store.runs import Run
from tests.emulated_org import connect
from tests.scheduling.conftest import Tenant, at

pytest.importorskip("forcebridge.runs")
pytestmark = pytest.mark.anyio


def synced_names(acme: Tenant) -> set[str]:
    return {r["Name"] for r in acme.emu.org.iter_records("Account") if r.get("External_Id__c")}


async def test_a_due_integration_runs_once_with_the_tick_it_was_scheduled_for(
    acme: Tenant,
) -> None:
    made = acme.integration("accounts", schedule="5 * * * *")
    started = await tick(acme.rt, at(12, 30))
    (run,) = acme.runs(made)
    assert started == [run.id]
    assert (run.trigger, run.status, run.scheduled_for) == ("schedule", "succeeded", at(12, 30))
    assert run.created == 2
    assert acme.row(made).next_run_at == at(13, 5) and acme.row(made).running_run_id is None
    assert await tick(acme.rt, at(13, 4)) == []


async def test_missed_ticks_become_one_catch_up_run(acme: Tenant) -> None:
    made = acme.integration("accounts", schedule="5 * * * *")
    acme.past_run(made)
    acme.set(made, next_run_at=at(7, 5))
    started = await tick(acme.rt, at(12, 40))
    assert len(started) == 1
    scheduled = [r for r in acme.runs(made) if r.trigger == "schedule"]
    assert [r.scheduled_for for r in scheduled] == [at(7, 5)]
    assert await tick(acme.rt, at(12, 41)) == []


async def test_disabled_and_not_connected_integrations_do_not_run(acme: Tenant) -> None:
    acme.integration("disabled", enabled=False)
    acme.integration("not connected", connected=False)
    assert await tick(acme.rt, at(12)) == []
    assert acme.runs() == []


async def test_two_schedulers_at_once_start_one_run(acme: Tenant) -> None:
    made = acme.integration("accounts")
    other = Runtime(acme.rt.settings, salesforce_transport=acme.emu.transport)
    try:
        first, second = await asyncio.gather(tick(acme.rt, at(12)), tick(other, at(12)))
    finally:
        other.close()
    assert len(first + second) == 1
    assert [r.id for r in acme.runs(made)] == first + second


async def test_a_run_held_elsewhere_defers_the_tick_until_it_ends(acme: Tenant) -> None:
    made = acme.integration("accounts")
    acme.past_run(made)
    with acme.rt.db.begin() as s:  # another process's run, going right now
        elsewhere = Run(tenant_id=acme.tenant_id, integration_id=made, trigger="manual")
        s.add(elsewhere)
    acme.set(made, running_run_id=elsewhere.id, next_run_at=at(11, 5))
    assert await tick(acme.rt, at(12)) == []
    assert acme.row(made).next_run_at == at(11, 5)  # the tick is due again, not lost
    with acme.rt.db.begin() as s:
        ended = s.get(Run, elsewhere.id)
        assert ended is not None
        ended.status = "succeeded"
    acme.set(made, running_run_id=None)
    (run_id,) = await tick(acme.rt, at(12, 1))
    assert [r.scheduled_for for r in acme.runs(made) if r.id == run_id] == [at(11, 5)]


async def test_a_failing_integration_does_not_stop_the_others(acme: Tenant) -> None:
    with acme.rt.db.begin() as s:
        connect(s, acme.rt, acme.tenant_id, acme.emu, "wrong password", password="nope")
    broken = acme.integration("broken")
    acme.set(broken, connection_id=_connection_id(acme, "wrong password"))
    fine = acme.integration("fine")
    started = await tick(acme.rt, at(12))
    assert len(started) == 2
    status = {r.integration_id: r.status for r in acme.runs()}
    assert status == {broken: "failed", fine: "succeeded"}
    assert synced_names(acme) >= {"Acme", "Globex"}


async def test_a_run_going_here_is_not_started_twice_and_then_catches_up(acme: Tenant) -> None:
    made = acme.integration("accounts", schedule="5 * * * *")
    acme.emu.faults("latency=300")
    scheduler = Scheduler(acme.rt)
    try:
        (first,) = await scheduler.tick(at(13, 0))
        await asyncio.sleep(0.1)
        assert scheduler.running == {made}
        assert await scheduler.tick(at(13, 6)) == []  # 13:05 passed while the run goes on
        assert await first is not None
        acme.emu.faults("none")
        (catch_up,) = await scheduler.tick(at(13, 7))
        await catch_up
    finally:
        await scheduler.stop()
    scheduled = [r.scheduled_for for r in acme.runs(made)]
    assert scheduled == [at(13, 0), at(13, 5)]


def _connection_id(acme: Tenant, name: str) -> str:
    with acme.rt.db.begin() as s:
        return connections.get(s, acme.tenant_id, name).id


async def test_stopping_mid_run_leaves_the_tick_due_for_the_next_scheduler(acme: Tenant) -> None:
    made = acme.integration("accounts", schedule="5 * * * *")
    acme.past_run(made)
    acme.set(made, next_run_at=at(12, 5))
    acme.emu.faults("latency=300")
    scheduler = Scheduler(acme.rt)
    (task,) = await scheduler.tick(at(12, 10))
    await asyncio.sleep(0.2)
    await scheduler.stop()
    assert task.cancelled()
    (interrupted,) = [r for r in acme.runs(made) if r.trigger == "schedule"]
    assert interrupted.status == "failed" and interrupted.scheduled_for == at(12, 5)
    assert acme.row(made).running_run_id is None
    assert acme.row(made).next_run_at == at(12, 5)
    acme.emu.faults("none")
    (again,) = await tick(acme.rt, at(12, 11))
    rerun = next(r for r in acme.runs(made) if r.id == again)
    assert (rerun.status, rerun.scheduled_for) == ("succeeded", at(12, 5))
