"""Save-time checks: each kind's configuration against the org it will write to.

"Saving an integration runs the same checks [as plan] and refuses what cannot work": every kind
owns its check (`check_config(rt, tenant_id, connection_id, config) -> list[Problem]`, async,
in the kind's package); this registry only says which one a kind uses. The modules are imported
when a check runs, not when this module is, so the integration service neither depends on the
engines' import graph nor breaks while one of them is not there yet: a kind whose check module
does not exist is saved with the checks the service itself makes (names, schema, connection).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from forcebridge import log
from forcebridge.runtime import Runtime
from forcebridge.sync.plan import Problem

CheckConfig = Callable[[Runtime, str, str | None, Any], Awaitable[list[Problem]]]

# kind -> the module holding its `check_config`
CHECK_MODULES: dict[str, str] = {
    "entity_sync": "forcebridge.runs.plan",
    "inbound_form": "forcebridge.forms.check",
    "event_publish": "forcebridge.outbox.check",
}

_logger = log.get("services.integration_checks")


def checker(kind: str) -> CheckConfig | None:
    """The kind's `check_config`, or None while its module does not exist.

    Only the absence of that very module is tolerated: an import error inside it (a bug, a
    missing dependency of it) propagates, so a broken check is never mistaken for no check.
    """
    module_name = CHECK_MODULES.get(kind)
    if module_name is None:
        return None
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
            _logger.debug("no save-time check for %s yet (%s missing)", kind, module_name)
            return None
        raise
    check: CheckConfig = module.check_config
    return check


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
