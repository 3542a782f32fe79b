"""`forcebridge apply -f FILE` and `forcebridge export`: integrations as YAML in version control."""

from __future__ import annotations

import typer


def apply(file: str = typer.Option(..., "-f", "--file")) -> None:
    """Create or update integrations from a YAML file."""
    raise typer.Exit(2)


def export() -> None:
    """Write integrations out as YAML."""
    raise typer.Exit(2)
