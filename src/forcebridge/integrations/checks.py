"""Save-time checks: each kind's configuration against the org it will write to.

"Saving an integration runs the same checks [as plan] and refuses what cannot work": every kind
owns its check (`check_config(rt, tenant_id, connection_id, config) -> list[Problem]`, async,
in the kind's package); this registry only says which one a kind uses. A kind without a check
is saved with the checks the service itself makes (names, schema, connection).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from forcebridge.forms import check as form_check
from forcebridge.outbox import check as outbox_check
from forcebridge.runs import plan as run_plan
from forcebridge.runtime import Runtime
from forcebridge.sync.plan import Problem

CheckConfig = Callable[[Runtime, str, str | None, Any], Awaitable[list[Problem]]]

# kind -> its save-time check
CHECKS: dict[str, CheckConfig] = {
    "entity_sync": run_plan.check_config,
    "inbound_form": form_check.check_config,
    "event_publish": outbox_check.check_config,
}


def checker(kind: str) -> CheckConfig | None:
    """The kind's `check_config`, or None for a kind that has none."""
    return CHECKS.get(kind)


async def check_config(
    rt: Runtime, tenant_id: str, kind: str, connection_id: str | None, config: Any
) -> list[Problem]:
    """Every problem of `config` against the connection's org; [] without a connection.

    An integration without a connection does not run, so there is nothing to check it
    against yet; attaching one later ("add credential") runs the check then.
    """
    if connection_id is None:
        return []
    check = checker(kind)
    if check is None:
        return []
    return await check(rt, tenant_id, connection_id, config)
