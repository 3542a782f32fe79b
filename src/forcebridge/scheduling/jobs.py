"""The other periodic work of the scheduler loop: outbox delivery and form resends.

Each is one module's `async def <job>(rt) -> int` (one pass; how many items it handled),
looked up by name on every pass, so the loop works whether or not that capability is
installed, and does not import it (nor what it imports) before it is needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from forcebridge.runtime import Runtime

JobFunction = Callable[[Runtime], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    module: str
    function: str

    def find(self) -> JobFunction | None:
        """The job's function, or None when its module is not there (yet)."""
        try:
            module = importlib.import_module(self.module)
        except ModuleNotFoundError as exc:
            if exc.name and self.module.startswith(exc.name):
                return None
            raise  # the module is there but something it imports is missing: an error
        found: JobFunction | None = getattr(module, self.function, None)
        return found


JOBS = (
    Job("outbox delivery", "forcebridge.outbox.delivery", "deliver_due"),
    Job("form resend", "forcebridge.forms.sending", "resend_pending"),
)
