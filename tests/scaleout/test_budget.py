"""The org-wide API budget: a run that reaches it waits as `waiting_for_api_budget`, writes
nothing meanwhile, and goes on by itself where it was once the org's rolling window frees calls;
`plan` shows the budget. Against the emulated org, whose usage the test moves as a day would."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from forcebridge.runs import plan_integration, run_integration
from forcebridge.runtime import Runtime
from forcebridge.services import connections
from forcebridge.services import integrations as integrations_service
from forcebridge.services.connections import ConnectionInput
from forcebridge.services.integrations import IntegrationInput
from forcebridge.services.run_lifecycle import WAITING
from forcebridge.store.runs import Run
from tests.emulated_org import connected_tenant
from tests.granted import grant_files
from tests.salesforce.emulated import Emulated

pytestmark = pytest.mark.anyio
ROWS = 2000


def numbers(emu: Emulated) -> Counter[str]:
    return Counter(r["External_Id__c"] for r in emu.org.iter_records("Account")
                   if r.get("External_Id__c"))


def accounts(rt: Runtime, tenant_id: str, folder: Path, name: str, prefix: str) -> str:
    """An integration of `ROWS` accounts (`prefix`-0000...) on the tenant's connection."""
    csv = folder / f"{prefix}.csv"
    csv.write_text("id,name\n" + "".join(f"{prefix}-{i:04d},Account {i}\n" for i in range(ROWS)))
    config = {
        "source": {"kind": "csv", "name": "files", "path": csv.name, "key_column": "id"},
        "mapping": {
            "target": {"object": "Account", "external_id_field": "External_Id__c"},
            "mappings": [{"field": "External_Id__c", "column": "id"},
                         {"field": "Name", "column": "name"}],
        },
        "batch_size": 20,
    }
    with rt.db.begin() as s:
        return integrations_service.create(s, rt.vault, tenant_id, IntegrationInput(
            name=name, kind="entity_sync", connection="demo org", config=config)).id


@pytest.fixture
def synced(runtime: Runtime, emu: Emulated, tmp_path: Path) -> tuple[str, str]:
    runtime.salesforce_transport = emu.transport
    runtime.settings.api_budget_poll_seconds = 0.05
    with runtime.db.begin() as s:
        tenant_id = connected_tenant(s, runtime, emu)
    grant_files(runtime, tenant_id, tmp_path)
    return tenant_id, accounts(runtime, tenant_id, tmp_path, "accounts", "A")


def set_budget(rt: Runtime, tenant_id: str, percent: int) -> None:
    with rt.db.begin() as s:
        connections.update(s, rt.vault, tenant_id, "demo org",
                           ConnectionInput(api_budget_percent=percent))


def status(rt: Runtime, iid: str) -> str | None:
    with rt.db.session() as s:
        run = s.query(Run).filter_by(integration_id=iid).one_or_none()
        return run.status if run else None


async def until(check: object, within: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.02)


async def test_a_run_at_the_budget_waits_then_goes_on_where_it_was(
    runtime: Runtime, emu: Emulated, synced: tuple[str, str],
) -> None:
    tenant_id, iid = synced
    usage = emu.emulator.usage
    usage.allocation, usage.used = 1000, 795  # budget 800: the run reaches it part-way
    run = asyncio.create_task(run_integration(runtime, tenant_id, iid))
    await until(lambda: run.done() or status(runtime, iid) == WAITING)
    assert not run.done(), status(runtime, iid)
    written = sum(numbers(emu).values())
    assert 0 < written < ROWS
    assert usage.used <= 800 + 4  # at most the calls already in flight when it paused
    await asyncio.sleep(0.4)
    assert sum(numbers(emu).values()) == written  # waiting writes nothing
    assert status(runtime, iid) == WAITING and not run.done()

    usage.reset()  # the rolling window freed the day's calls
    await asyncio.wait_for(run, timeout=60)
    assert status(runtime, iid) == "succeeded"
    seen = numbers(emu)
    assert len(seen) == ROWS and set(seen.values()) == {1}  # nothing lost, nothing twice


async def test_a_run_under_the_budget_never_waits(
    runtime: Runtime, emu: Emulated, synced: tuple[str, str],
) -> None:
    tenant_id, iid = synced
    emu.emulator.usage.allocation = 100_000
    await run_integration(runtime, tenant_id, iid)
    assert status(runtime, iid) == "succeeded" and len(numbers(emu)) == ROWS


async def test_plan_shows_the_budget_used(
    runtime: Runtime, emu: Emulated, synced: tuple[str, str],
) -> None:
    tenant_id, iid = synced
    usage = emu.emulator.usage
    usage.allocation, usage.used = 5000, 1200
    report = await plan_integration(runtime, tenant_id, iid)
    assert report.api_allocation == 5000 and report.api_budget == 4000
    assert 1200 < report.api_used < 1300  # the plan's own calls count too
    assert report.as_dict()["api_budget"] == 4000


async def test_integrations_of_one_connection_share_its_budget_and_wait_together(
    runtime: Runtime, emu: Emulated, synced: tuple[str, str], tmp_path: Path,
) -> None:
    tenant_id, first = synced
    second = accounts(runtime, tenant_id, tmp_path, "more accounts", "B")
    set_budget(runtime, tenant_id, 50)
    usage = emu.emulator.usage
    usage.allocation, usage.used = 1000, 494  # budget 500: together they reach it part-way
    runs = [asyncio.create_task(run_integration(runtime, tenant_id, iid))
            for iid in (first, second)]
    await until(lambda: all(status(runtime, iid) == WAITING for iid in (first, second)))
    assert not any(r.done() for r in runs)
    assert usage.used <= 500 + 10  # at most the calls past the check when each paused
    written = sum(numbers(emu).values())
    assert 0 < written < 2 * ROWS
    await asyncio.sleep(0.4)
    assert sum(numbers(emu).values()) == written

    usage.reset()
    await asyncio.wait_for(asyncio.gather(*runs), timeout=60)
    assert status(runtime, first) == status(runtime, second) == "succeeded"
    seen = numbers(emu)
    assert len(seen) == 2 * ROWS and set(seen.values()) == {1}


async def test_plan_shows_the_budget_of_the_connections_share(
    runtime: Runtime, emu: Emulated, synced: tuple[str, str],
) -> None:
    tenant_id, iid = synced
    set_budget(runtime, tenant_id, 25)
    emu.emulator.usage.allocation = 5000
    report = await plan_integration(runtime, tenant_id, iid)
    assert report.api_allocation == 5000 and report.api_budget == 1250
