"""A queued run (scheduling.queued) started by a worker's task function, in this process: once
only, refused when the integration changed meanwhile, and ended when no worker started it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forcebridge.runtime import Runtime
from forcebridge.scheduling import work
from forcebridge.services import integrations as integrations_service
from forcebridge.services import run_lifecycle as lifecycle
from forcebridge.services import runs as run_history
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run
from tests.salesforce.emulated import Emulated
from tests.scaleout.test_budget import synced  # noqa: F401  (the fixture)

pytestmark = pytest.mark.anyio


def queue(rt: Runtime, iid: str) -> str:
    with rt.db.begin() as s:
        integration = s.get(Integration, iid)
        assert integration is not None
        return lifecycle.claim(s, rt, integration, trigger="api", queued=True,
                               options={"full": False, "reconcile": False}).id


def run_of(rt: Runtime, run_id: str) -> Run:
    with rt.db.session() as s:
        run = s.get(Run, run_id)
        assert run is not None
        s.expunge(run)
        return run


def holder(rt: Runtime, iid: str) -> str | None:
    with rt.db.session() as s:
        found = s.get(Integration, iid)
        assert found is not None
        return found.running_run_id


async def test_a_queued_run_starts_once_however_often_its_task_comes(
    runtime: Runtime, emu: Emulated, synced: tuple[str, str],  # noqa: F811
) -> None:
    tenant_id, iid = synced
    emu.emulator.usage.allocation = 100_000
    run_id = queue(runtime, iid)
    assert run_of(runtime, run_id).status == "queued" and holder(runtime, iid) == run_id
    first = await work.queued_run(runtime, run_id, tenant_id, iid, full=False, reconcile=False)
    assert first == run_id and run_of(runtime, run_id).status == "succeeded"
    again = await work.queued_run(runtime, run_id, tenant_id, iid, full=False, reconcile=False)
    assert again is None
    with runtime.db.session() as s:
        assert s.query(Run).filter_by(integration_id=iid).count() == 1


async def test_a_queued_run_of_an_integration_disabled_meanwhile_ends_saying_so(
    runtime: Runtime, emu: Emulated, synced: tuple[str, str],  # noqa: F811
) -> None:
    tenant_id, iid = synced
    run_id = queue(runtime, iid)
    with runtime.db.begin() as s:
        integrations_service.disable(s, tenant_id, iid, reason="paused for the audit")
    assert await work.queued_run(runtime, run_id, tenant_id, iid, full=False,
                                 reconcile=False) is None
    ended = run_of(runtime, run_id)
    assert ended.status == "failed" and "paused for the audit" in (ended.error or "")
    assert holder(runtime, iid) is None


async def test_a_queued_run_no_worker_started_ends_and_frees_the_integration(
    runtime: Runtime, emu: Emulated, synced: tuple[str, str],  # noqa: F811
) -> None:
    tenant_id, iid = synced
    run_id = queue(runtime, iid)
    with runtime.db.begin() as s:
        run = s.get(Run, run_id)
        assert run is not None and run.alive_until is not None
        run.alive_until -= timedelta(seconds=3 * runtime.settings.dispatch_lease_seconds + 1)
    with runtime.db.begin() as s:
        shown = run_history.view(s, run_history.get(s, tenant_id, run_id))
    assert shown.status == "failed" and shown.error == lifecycle.UNSTARTED_REASON
    assert holder(runtime, iid) is None

