"""`forcebridge runs ...`, and the top-level `forcebridge run` and `forcebridge plan`."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


def run(integration: str = typer.Argument(...)) -> None:
    """Run an integration now."""
    raise typer.Exit(2)


def plan(integration: str = typer.Argument(...)) -> None:
    """Check an integration against the org and show what a run would do."""
    raise typer.Exit(2)
