"""How the CLI prints: Rich tables for people, `--json` for programs, and the shared runtime."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from forcebridge.runtime import Runtime

console = Console()
console_err = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")
TenantOption = typer.Option(..., "--tenant", "-t", help="Tenant name or id.")


def runtime(*, migrate: bool = True) -> Runtime:
    """The CLI's runtime; migrations run first so every command sees the current schema."""
    from forcebridge.runtime import Runtime

    rt = Runtime()
    rt.configure_logging()
    rt.vault  # noqa: B018  (creates the key file on first run)
    if migrate:
        rt.migrate()
    return rt


def tenant_id(rt: Runtime, tenant: str) -> str:
    """The id of the tenant a user named (by name or id), for commands that then go async."""
    from forcebridge.services import tenants

    with rt.db.begin() as s:
        return tenants.find(s, tenant).id


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def emit(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    *,
    as_json: bool,
    title: str | None = None,
) -> None:
    rows = list(rows)
    if as_json:
        typer.echo(orjson.dumps(rows, default=str, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    console.print(table)


def emit_one(row: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(row, default=str, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in row.items():
        table.add_row(key.replace("_", " "), _cell(value))
    console.print(table)


def as_row(obj: Any, columns: Sequence[str]) -> dict[str, Any]:
    return {c: getattr(obj, c) for c in columns}
