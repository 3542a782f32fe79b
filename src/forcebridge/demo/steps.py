"""More of the product, shown after the entity sync: the place later demo steps plug in.

Each step is a function taking the `DemoContext` (the runtime, the demo tenant, the
connection to the in-process org and the console) and printing what it shows. The entity-sync
part of the demo is fixed; inbound forms and event publishing add their steps to
`MORE_STEPS` (in the order they should run) without touching the rest of the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from forcebridge.runtime import Runtime
from forcebridge_emulator.org import Org


@dataclass
class DemoContext:
    """Everything a demo step may use; the emulator org is in-process and fresh each demo."""

    rt: Runtime
    tenant_id: str
    connection: str  # the connection's name
    org: Org
    emulator: Any  # the emulator's ASGI app (its `state.emulator` holds the org and faults)
    data_dir: Path  # where the demo keeps its files (the billing database)
    console: Console
    notify: list[str]  # the notification users' emails


DemoStep = Callable[[DemoContext], None]

# ---------------------------------------------------------------------------------------------
# Later steps go here, in the order they run after the entity sync: inbound forms (owner D)
# and event publishing (owner E) each add a module under forcebridge/demo/ with one
# `def step(ctx: DemoContext) -> None` and list it below, e.g. `forms_step.step`.
# ---------------------------------------------------------------------------------------------
MORE_STEPS: list[DemoStep] = []


def _register() -> None:
    # imported here: extras imports this module (DemoContext)
    from forcebridge.demo import extras

    MORE_STEPS.extend(extras.STEPS)


_register()


def run_more(context: DemoContext, steps: list[DemoStep] | None = None) -> int:
    """Run the later steps in order; how many ran."""
    todo = MORE_STEPS if steps is None else steps
    for step in todo:
        step(context)
    return len(todo)
