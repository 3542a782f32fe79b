"""Runs whose process died: seen at once on the same host (the pid is gone), after three missed
heartbeats elsewhere, by the next run, the scheduler's sweep and any read of the integration."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from forcebridge.runs import run_integration
from forcebridge.scheduling import jobs
from forcebridge.services import integrations
from forcebridge.services import run_lifecycle as lifecycle
from forcebridge.services import runs as runs_service
from forcebridge.services.run_lifecycle import STALE_REASON
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run
from forcebridge.store.types import utcnow
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def held_by(world: World, iid: str, *, host: str, pid: int, alive_for: float) -> str:
    """A `running` run holding the integration's lock, as a process would have left it."""
    with world.rt.db.begin() as s:
        run = Run(tenant_id=world.tenant_id, integration_id=iid, trigger="manual", host=host,
                  pid=pid, alive_until=utcnow() + timedelta(seconds=alive_for), created=7)
        s.add(run)
        s.flush()
        integration = s.get(Integration, iid)
        assert integration is not None
        integration.running_run_id = run.id
        return run.id


def lock(world: World, iid: str) -> str | None:
    with world.rt.db.session() as s:
        found = s.get(Integration, iid)
        assert found is not None
        return found.running_run_id


def test_a_process_id_is_gone_once_it_ended_and_alive_while_it_runs() -> None:
    assert lifecycle.process_gone(dead_pid())
    assert not lifecycle.process_gone(os.getpid())
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # it ends but is not reaped (nothing waits for it): a zombie, gone all the same
        deadline = time.monotonic() + 20
        while not lifecycle.process_gone(zombie.pid):
            assert time.monotonic() < deadline, "an ended, unreaped process still looks alive"
            time.sleep(0.01)
        assert zombie.returncode is None
    finally:
        zombie.wait()


async def test_a_run_whose_process_on_this_host_died_ends_when_the_integration_is_read(
    world: World,
) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(3))
    iid = world.integration()
    held = held_by(world, iid, host=lifecycle.HOST, pid=dead_pid(), alive_for=600)
    with world.rt.db.begin() as s:
        integrations.get(s, world.tenant_id, "invoices")
    run = world.run(held)
    assert (run.status, run.error, run.created) == ("failed", STALE_REASON, 7)
    assert lock(world, iid) is None
    assert [e.message for e in world.events(held)] == [STALE_REASON]
    again = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert again.status == "succeeded"


async def test_a_live_run_elsewhere_holds_until_it_misses_three_beats(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(3))
    iid = world.integration()
    # another host: its pid means nothing here, only the heartbeat's age counts
    held = held_by(world, iid, host="other-host", pid=dead_pid(), alive_for=600)
    assert await jobs.end_dead_runs(world.rt) == 0
    with world.rt.db.begin() as s:
        assert runs_service.get(s, world.tenant_id, held).status == "running"
    with world.rt.db.begin() as s:
        run = s.get(Run, held)
        assert run is not None
        run.alive_until = utcnow() - timedelta(seconds=1)
    assert await jobs.end_dead_runs(world.rt) == 1
    assert world.run(held).status == "failed" and lock(world, iid) is None


async def test_a_run_looked_up_by_id_shows_failed_once_its_process_died(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(3))
    iid = world.integration()
    held = held_by(world, iid, host=lifecycle.HOST, pid=dead_pid(), alive_for=600)
    with world.rt.db.begin() as s:
        assert runs_service.get(s, world.tenant_id, held).status == "failed"
    assert lock(world, iid) is None


async def test_a_heartbeat_keeps_a_run_alive_for_three_periods(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(3))
    iid = world.integration()
    world.rt.settings.run_heartbeat_seconds = 20
    held = held_by(world, iid, host="other-host", pid=1, alive_for=-1)
    before = utcnow()
    lifecycle.heartbeat(world.rt, held, lifecycle.Counts(read=5), 3)
    run = world.run(held)
    until = run.alive_until.replace(tzinfo=None)
    assert timedelta(seconds=59) <= until - before.replace(tzinfo=None) <= timedelta(seconds=61)
    assert (run.read, run.created, run.api_calls) == (5, 7, 3)  # answer counts stay the row's
