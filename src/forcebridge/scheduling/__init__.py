"""Scheduling: scheduled runs of integrations, and the periodic jobs of other capabilities.

- `due`: which integrations are due, and the conditional UPDATE that claims a due tick, so
  two schedulers never start the same run and missed ticks become one catch-up run;
- `scheduler`: `Scheduler` (the loop of passes, one task per run) and `tick`, one pass;
- `jobs`: outbox delivery and form resends, called each pass;
- `lifespan`: `attach` runs a scheduler inside `forcebridge serve`.
"""

from __future__ import annotations

from forcebridge.scheduling.lifespan import attach
from forcebridge.scheduling.scheduler import Scheduler, tick

__all__ = ["Scheduler", "attach", "tick"]
