"""The other periodic work of the scheduler loop: outbox delivery, form resends, dead runs,
alerts.

Each is one module's `async def <job>(rt) -> int`: one pass, returning how many items it
handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from forcebridge import alerts
from forcebridge.forms import sending
from forcebridge.outbox import delivery
from forcebridge.runtime import Runtime
from forcebridge.services import run_lifecycle as lifecycle

JobFunction = Callable[[Runtime], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction


async def end_dead_runs(rt: Runtime) -> int:
    """Runs whose process died are ended `failed` and their integrations freed."""
    return await asyncio.to_thread(lifecycle.end_dead_runs, rt)


JOBS = (
    Job("outbox delivery", delivery.deliver_due),
    Job("form resend", sending.resend_pending),
    Job("dead runs", end_dead_runs),
    Job("alerts", alerts.pass_once),
)
