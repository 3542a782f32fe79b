"""The other periodic work of the scheduler loop: outbox delivery and form resends.

Each is one module's `async def <job>(rt) -> int`: one pass, returning how many items it
handled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from forcebridge.forms import sending
from forcebridge.outbox import delivery
from forcebridge.runtime import Runtime

JobFunction = Callable[[Runtime], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction


JOBS = (
    Job("outbox delivery", delivery.deliver_due),
    Job("form resend", sending.resend_pending),
)
