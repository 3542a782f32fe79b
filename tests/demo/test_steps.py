"""Later demo steps (forms, event publishing) plug in as functions of the demo context."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from forcebridge.demo.context import DemoContext
from forcebridge.demo.steps import run_more
from forcebridge.runtime import Runtime
from forcebridge.settings import Settings
from forcebridge_emulator import Org


def test_steps_run_in_order_with_the_context(tmp_path: Path) -> None:
    context = DemoContext(
        rt=Runtime(Settings(data_dir=tmp_path)), tenant_id="t", connection="c", org=Org.demo(),
        emulator=None, data_dir=tmp_path, console=Console(), notify=[],
    )
    seen: list[str] = []
    steps = [lambda ctx: seen.append(f"forms {ctx.tenant_id}"),
             lambda ctx: seen.append(f"events {ctx.connection}")]
    assert run_more(context, steps) == 2
    assert seen == ["forms t", "events c"]
