"""Alerts: a tenant's channels (email, Slack, signed webhook) told once when a rule starts to
hold for an integration or a connection, and once when it stops.

Public surface:

- `RULES` (name -> meaning), `BUDGET_STEPS`.
- `evaluate(rt, now=None)`: open and resolve incidents, queueing their messages.
- `send_due(rt, now=None)`: send what is queued, retrying failed channels with backoff.
- `pass_once(rt)`: both, as the scheduler's periodic job.
"""

from __future__ import annotations

import anyio

from forcebridge.alerts.delivery import send_due
from forcebridge.alerts.incidents import evaluate
from forcebridge.alerts.rules import BUDGET_STEPS, RULES
from forcebridge.runtime import Runtime


async def pass_once(rt: Runtime) -> int:
    """Evaluate the rules, then send what is due; how many messages were sent."""
    await anyio.to_thread.run_sync(evaluate, rt)
    return await send_due(rt)


__all__ = ["BUDGET_STEPS", "RULES", "evaluate", "pass_once", "send_due"]
