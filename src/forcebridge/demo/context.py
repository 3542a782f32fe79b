"""What every demo step gets: the runtime, the demo tenant, its connection and the console."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from forcebridge.runtime import Runtime
from forcebridge_emulator import Org


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
