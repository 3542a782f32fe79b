"""A run's share of the org's API budget: it pauses, shown `waiting_for_api_budget`, and
goes on by itself where it was (salesforce.budget); its heartbeat keeps beating meanwhile, so
a waiting run is never taken for dead."""

from __future__ import annotations

import anyio

from forcebridge.runtime import Runtime
from forcebridge.salesforce import ApiBudget, ApiUsage, budget_of
from forcebridge.services import run_lifecycle as lifecycle


def for_run(rt: Runtime, run_id: str, share: float) -> ApiBudget:
    """The budget a run's client waits on (`share` of the org's allocation, its connection's
    setting), telling the store when the run pauses and goes on."""

    def detail(usage: ApiUsage) -> dict[str, int]:
        return {"api_used": usage.used, "api_allocation": usage.allocation,
                "api_budget": budget_of(usage.allocation, share)}

    async def pause(usage: ApiUsage) -> None:
        await anyio.to_thread.run_sync(
            lifecycle.wait_for_budget, rt, run_id, True, detail(usage))

    async def resume(usage: ApiUsage) -> None:
        await anyio.to_thread.run_sync(
            lifecycle.wait_for_budget, rt, run_id, False, detail(usage))

    return ApiBudget(share, poll_seconds=rt.settings.api_budget_poll_seconds,
                     on_pause=pause, on_resume=resume)
