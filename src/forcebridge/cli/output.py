"""How the CLI prints: listings that fit the terminal, `--json` for programs, the shared runtime.

Every table goes through `forcebridge.cli.listing` (fits 80 columns without cutting an id, a URL
or an API name; plain when piped). A URL the user must open is printed whole on its own line
(`url`), and a suggested command is printed complete, tenant included, so it runs as pasted
(`suggest`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.text import Text

from forcebridge.cli.listing import Listing, fields, render
from forcebridge.suggested import command

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlalchemy.orm import Session

    from forcebridge.runtime import Runtime

    # a service's view (a pydantic model) or a plain mapping: both print the same
    Row = BaseModel | dict[str, Any]

T = TypeVar("T")
console = Console()
console_err = Console(stderr=True)


def _default_tenant(value: str | None) -> str | None:
    """`--tenant` when given, else FORCEBRIDGE_TENANT; None leaves the choice to
    `tenants.find` (the only tenant, when there is exactly one)."""
    from forcebridge.settings import Settings

    return value or Settings().tenant


JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")
TenantOption = typer.Option(
    None,
    "--tenant",
    "-t",
    help="Tenant name or id; default FORCEBRIDGE_TENANT, or the only tenant when there is one.",
    callback=_default_tenant,
)


def runtime(*, migrate: bool = True) -> Runtime:
    """The CLI's runtime; migrations run first so every command sees the current schema."""
    from forcebridge.runtime import Runtime

    rt = Runtime()
    rt.configure_logging()
    rt.vault  # noqa: B018  (creates the key file on first run)
    if migrate:
        rt.migrate()
    return rt


def tenant_id(rt: Runtime, tenant: str | None) -> str:
    """The id of the tenant a user named (by name or id, or the default), for commands that
    then go async."""
    from forcebridge.services import tenants

    with rt.db.begin() as s:
        return tenants.find(s, tenant).id


def tenant_name(rt: Runtime, tenant: str | None) -> str:
    """The name of the tenant meant, for suggestions that must run as printed."""
    from forcebridge.services import tenants

    with rt.db.begin() as s:
        return tenants.find(s, tenant).name


def in_tenant(
    tenant: str | None, work: Callable[[Session, str], T], *, rt: Runtime | None = None
) -> T:
    """`work(session, tenant_id)` in one transaction, for the tenant the user named (by name
    or id, or the default): what an API key gives a route. `work` is one service call."""
    from forcebridge.services import tenants

    with (rt or runtime()).db.begin() as s:
        return work(s, tenants.find(s, tenant).id)


def emit_of_tenant(
    tenant: str | None,
    what: str,
    rows: Callable[[Session, str], Iterable[Row]],
    columns: Sequence[str],
    *,
    as_json: bool,
) -> None:
    """The tenant's `rows(session, tenant_id)` as `emit` prints them, titled "<what> of
    <tenant>"."""
    from forcebridge.services import tenants

    with runtime().db.begin() as s:
        chosen = tenants.find(s, tenant)
        found, name = list(rows(s, chosen.id)), chosen.name
    emit(found, columns, as_json=as_json, title=f"{what} of {name}")


def _json(value: Any) -> None:
    typer.echo(orjson.dumps(value, default=str, option=orjson.OPT_INDENT_2).decode())


def plain(row: Row) -> dict[str, Any]:
    """A row as a dict; a view keeps its Python values (datetimes print as the API's JSON)."""
    if isinstance(row, dict):  # checked first: the CLI loads pydantic only when it needs it
        return row
    return row.model_dump()


def emit(
    rows: Iterable[Row],
    columns: Sequence[str],
    *,
    as_json: bool,
    title: str | None = None,
    right: Sequence[str] = (),
) -> None:
    """Rows as JSON, or as a listing of `columns` (headers verbatim) that fits the terminal."""
    plain_rows = [plain(row) for row in rows]
    if as_json:
        _json(plain_rows)
        return
    table(Listing(columns, [[row.get(c) for c in columns] for row in plain_rows], title, right))


def table(listing: Listing, *, on: Console | None = None) -> None:
    """Print a listing that fits (`forcebridge.cli.listing.render`)."""
    render(on or console, listing)


def emit_one(row: Row, *, as_json: bool) -> None:
    """One record: JSON, or `key: value` lines with keys verbatim (API names as they are)."""
    if as_json:
        _json(plain(row))
        return
    fields(console, plain(row))


def url(label: str, address: str) -> None:
    """A URL the user must open: the label, then the URL whole on a line of its own."""
    console.print(label, highlight=False)
    typer.echo(address)


def suggest(label: str, *argv: str, on: Console | None = None) -> None:
    """`label:`, then the complete command on a line of its own, never wrapped: it runs as
    pasted."""
    out = on or console
    out.print(f"{label}:", highlight=False, markup=False)
    out.print(Text(f"  {command(*argv)}"), soft_wrap=True, highlight=False)


def as_row(obj: Any, columns: Sequence[str]) -> dict[str, Any]:
    return {c: getattr(obj, c) for c in columns}
