"""More of the product, shown after the entity sync: the steps that run in order after it.

Each step is a function taking the `DemoContext` and printing what it shows. The entity-sync
part of the demo is fixed; inbound forms and event publishing are the steps listed in
`MORE_STEPS`, in the order they run.
"""

from __future__ import annotations

from forcebridge.demo import extras
from forcebridge.demo.context import DemoContext, DemoStep

MORE_STEPS: list[DemoStep] = list(extras.STEPS)


def run_more(context: DemoContext, steps: list[DemoStep] | None = None) -> int:
    """Run the later steps in order; how many ran."""
    todo = MORE_STEPS if steps is None else steps
    for step in todo:
        step(context)
    return len(todo)
