"""The runs engine of entity-sync integrations: run, plan, retry.

A run claims its integration (one at a time: `AlreadyRunning` otherwise), streams the source
to the org and reports progress to a `RunProgress`; a plan says what a run would do without
writing (counts, and the first records it would change, field by field); a retry resends the
records of failure events in a run of its own. After `FAILURE_STREAK_LIMIT` failed runs in a
row an integration disables itself. See docs/runs.md for what a run does and guarantees.
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
