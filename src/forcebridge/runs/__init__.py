"""The runs engine of entity-sync integrations: run, plan, retry.

- `run_integration(rt, tenant_id, ref, trigger=, scheduled_for=, progress=)` -> run id;
  raises NotFound, `AlreadyRunning` (a Conflict) and Conflict (disabled / not connected).
- `RunProgress`: what a progress display implements (`started`, `advance`).
- `plan_integration(rt, tenant_id, ref, records=)` -> `PlanReport` (counts, and the first
  `records` records a run would change, field by field); `runs.plan.check_config` for saves.
- `retry_events(rt, tenant_id, event_ids, actor=)` -> the retry run's id.

See docs/runs.md for what a run does and guarantees.
"""

from __future__ import annotations

from forcebridge.runs.engine import RunProgress, run_integration
from forcebridge.runs.plan import (
    DEFAULT_PLAN_RECORDS,
    MAX_PLAN_RECORDS,
    PlanReport,
    check_config,
    plan_integration,
)
from forcebridge.runs.retry import retry_events
from forcebridge.services.run_lifecycle import FAILURE_STREAK_LIMIT, AlreadyRunning

__all__ = [
    "DEFAULT_PLAN_RECORDS",
    "FAILURE_STREAK_LIMIT",
    "MAX_PLAN_RECORDS",
    "AlreadyRunning",
    "PlanReport",
    "RunProgress",
    "check_config",
    "plan_integration",
    "retry_events",
    "run_integration",
]
