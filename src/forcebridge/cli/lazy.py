"""A command group that imports a command's module only when that command runs.

Each command module pulls in what its work needs (SQLAlchemy, httpx, FastAPI, the emulator);
`forcebridge --help` and `forcebridge runs list` should not pay for the others. The group
knows every command by name and help text alone, and imports the module behind one when click
resolves it to run it or to print its own help.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from typer import _click
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.main import get_command_from_info, get_group
from typer.models import CommandInfo

from forcebridge.cli import startup


@dataclass(frozen=True)
class Lazy:
    """`module:attribute` naming a `typer.Typer` (a command group) or a function (a command)."""

    target: str
    help: str


class LazyGroup(TyperGroup):
    """A root group whose subcommands are `Lazy` entries, loaded on first use."""

    entries: ClassVar[dict[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.entries if n not in self.commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self.entries.get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            # the root's own help shows each command's name and help: no import needed
            return TyperCommand(cmd_name, help=entry.help)
        command = self._load(cmd_name, entry)
        self.commands[cmd_name] = command
        return command

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except _click.exceptions.UsageError as exc:
            # typer suggests only from loaded commands; these are mostly not loaded yet
            matches = difflib.get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches and "Did you mean" not in exc.message:
                suggestions = ", ".join(repr(m) for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The root's help in typer's style, drawn here: typer's renderer loads Markdown,
        syntax highlighting and tracebacks, a third of the time `--help` would take."""
        self._listing = True
        try:
            options = [
                (", ".join([*p.opts, *p.secondary_opts]), p.help or "")
                for p in self.get_params(ctx) if isinstance(p, TyperOption) and not p.hidden
            ]
            commands = []
            for name in self.list_commands(ctx):
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    commands.append((name, command.get_short_help_str(limit=200)))
        finally:
            self._listing = False
        out = Console()
        out.print(Padding(self.get_usage(ctx), 1), style="bold", highlight=False)
        if self.help:
            out.print(Padding(self.help, (0, 1, 1, 1)), highlight=False)
        for title, rows, style in (("Options", options, "bold cyan"),
                                   ("Commands", commands, "bold cyan")):
            if not rows:
                continue
            grid = Table(highlight=False, show_header=False, expand=True, box=None,
                         padding=(0, 1), pad_edge=False)
            grid.add_column(style=style, no_wrap=True)
            grid.add_column(ratio=1)
            for row in rows:
                grid.add_row(*row)
            out.print(Panel(grid, title=title, title_align="left", border_style="dim"))

    def _load(self, name: str, entry: Lazy) -> _click.Command:
        module_name, _, attribute = entry.target.partition(":")
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            group = get_group(target)
            group.help = entry.help
            group.rich_markup_mode = self.rich_markup_mode
            command: _click.Command = group
        else:
            command = get_command_from_info(
                CommandInfo(name=name, callback=target, help=entry.help),
                pretty_exceptions_short=True,
                rich_markup_mode=self.rich_markup_mode,
            )
        startup.collect_when_run(command)
        return command
