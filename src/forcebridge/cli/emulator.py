"""`forcebridge emulator serve`: the forcebridge-emulator package's own `serve`, under this CLI."""

from __future__ import annotations

import typer

import forcebridge_emulator

app = typer.Typer(
    help="A local Salesforce org speaking the real wire protocol.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def emulator() -> None:
    """A local Salesforce org speaking the real wire protocol (OAuth, REST, SOQL, Bulk 2.0)."""


@app.command(
    "serve",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def serve(ctx: typer.Context) -> None:
    """Serve the emulator (`forcebridge-emulator serve`; --help lists its options)."""
    status = forcebridge_emulator.main(["serve", *ctx.args], prog="forcebridge emulator")
    raise typer.Exit(status)
