"""`forcebridge forms ...`: posts received by inbound-form hooks, and replay."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
