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
from typer import _click
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group
from typer.models import CommandInfo


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
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def _load(self, name: str, entry: Lazy) -> _click.Command:
        module_name, _, attribute = entry.target.partition(":")
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            group = get_group(target)
            group.help = entry.help
            group.rich_markup_mode = self.rich_markup_mode
            return group
        return get_command_from_info(
            CommandInfo(name=name, callback=target, help=entry.help),
            pretty_exceptions_short=True,
            rich_markup_mode=self.rich_markup_mode,
        )
