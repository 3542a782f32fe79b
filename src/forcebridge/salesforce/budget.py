"""An org-wide API budget: a share of the org's daily allocation that calls stop at.

Salesforce counts every call of every client against one rolling 24-hour allocation per org
and reports the count on each answer (`Sforce-Limit-Info: api-usage=N/M`). That count is the
shared state: every process, integration and worker reaching the org reads the same number,
so each one stopping at the same share keeps the org as a whole within it, with no counter of
our own to keep in step. The product's own calls must never eat the allocation the customer's
other tools and users need; the default share is 80 %.

Before each call, `ApiBudget.wait` looks at the usage of the last answer; once it reached the
budget, the caller pauses (telling `on_pause`), asks `/limits` every `poll_seconds` until the
rolling window has freed enough, tells `on_resume`, and the call goes on where it was. One
caller per budget asks at a time; the others wait behind it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from forcebridge.salesforce.usage import ApiUsage

Listener = Callable[[ApiUsage], Awaitable[None]]


@dataclass(frozen=True)
class BudgetState:
    """The budget and what the org has used of its allocation, for runs and plans to show."""

    used: int
    allocation: int
    budget: int

    @property
    def reached(self) -> bool:
        return self.used >= self.budget


def budget_of(allocation: int, share: float) -> int:
    """Calls allowed out of `allocation` at `share` (at least one)."""
    return max(1, math.floor(allocation * share))


class ApiBudget:
    """`share` of the org's allocation (0 < share <= 1), with callbacks for pausing runs."""

    def __init__(
        self,
        share: float = 0.8,
        *,
        poll_seconds: float = 60.0,
        on_pause: Listener | None = None,
        on_resume: Listener | None = None,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("an API budget is a share of the allocation, above 0 and at most 1")
        self.share = share
        self.poll_seconds = poll_seconds
        self.on_pause = on_pause
        self.on_resume = on_resume
        self.paused = 0  # times the budget paused its caller
        self._lock: asyncio.Lock | None = None

    def state(self, usage: ApiUsage) -> BudgetState:
        return BudgetState(usage.used, usage.allocation, budget_of(usage.allocation, self.share))

    def reached(self, usage: ApiUsage | None) -> bool:
        return usage is not None and self.state(usage).reached

    async def wait(
        self, current: Callable[[], ApiUsage | None],
        refresh: Callable[[], Awaitable[ApiUsage | None]],
    ) -> None:
        """Return at once within budget; else pause until `refresh()` (a `/limits` call)
        shows the org back under it."""
        if not self.reached(current()):
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            usage = current()
            if not self.reached(usage):
                return  # another caller waited it out meanwhile
            assert usage is not None
            self.paused += 1
            if self.on_pause is not None:
                await self.on_pause(usage)
            while self.reached(usage):
                await asyncio.sleep(self.poll_seconds)
                usage = await refresh() or usage
            if self.on_resume is not None:
                await self.on_resume(usage)
