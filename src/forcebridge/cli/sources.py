"""`forcebridge sources ...`: the operator registers data sources and grants them to tenants.

Run on the server, these commands are the operator's (like an admin API key): a tenant's
integrations can only name a data source granted to it, never a URL or a path of their own.
"""

from __future__ import annotations

from typing import Any

import typer
from pydantic import SecretStr

from forcebridge.cli.output import JsonOption, console, emit, emit_one, runtime
from forcebridge.services import data_sources
from forcebridge.services.data_sources import DataSourceInput, SourceView

app = typer.Typer(no_args_is_help=True)
LIST_COLUMNS = ("name", "kind", "where", "tables", "tenants", "converted_from")

_URL = typer.Option(
    None, "--url",
    help="A SQL source's SQLAlchemy URL (sqlite or postgresql; stored encrypted), e.g. "
    "--url \"$BILLING_DB_URL\" to keep the password out of your shell history.",
)
_ROOT = typer.Option(None, "--root", help="A file root: the absolute directory tenants read.")
_TABLE = typer.Option(
    None, "--table",
    help="A table tenants may read (table, schema.table or schema.*); repeat for more. "
    "With tables set, a tenant names one and cannot send a query.",
)
_ROLE = typer.Option(None, "--role", help="PostgreSQL role every read runs as (SET ROLE).")
_TIMEOUT = typer.Option(
    None, "--timeout", min=1, help="Statement timeout in seconds (default 60)."
)


def _input(**given: Any) -> DataSourceInput:
    """Only the options given, so an update changes nothing else."""
    values = {k: v for k, v in given.items() if v is not None}
    if "url" in values:
        values["url"] = SecretStr(values["url"])
    return DataSourceInput(**values)


def _row(view: SourceView) -> dict[str, Any]:
    return {**view.model_dump(), "where": view.url or view.root,
            "tables": ", ".join(view.tables), "tenants": ", ".join(view.tenants)}


@app.command("add")
def add(
    name: str = typer.Argument(..., help="A name tenants' integrations use (config.source.name)."),
    url: str | None = _URL,
    root: str | None = _ROOT,
    table: list[str] | None = _TABLE,
    role: str | None = _ROLE,
    timeout: int | None = _TIMEOUT,
    grant: list[str] | None = typer.Option(
        None, "--grant", "-g", help="A tenant (name or id) that may read it; repeat for more."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Register a SQL database (--url) or a file root (--root), optionally granting it."""
    if (url is None) == (root is None):
        raise typer.BadParameter("give exactly one of --url (SQL) or --root (files)")
    data = _input(name=name, kind="sql" if url is not None else "files", url=url, root=root,
                  tables=table or None, role=role, timeout_seconds=timeout)
    rt = runtime()
    with rt.db.begin() as s:
        view = data_sources.create(rt, s, data, grant_to=grant or [], actor="cli")
    emit_one(view, as_json=as_json)


@app.command("update")
def update(
    source: str = typer.Argument(..., help="Data source name or id."),
    name: str | None = typer.Option(None, "--name", help="New name (integrations follow it)."),
    url: str | None = _URL,
    root: str | None = _ROOT,
    table: list[str] | None = _TABLE,
    role: str | None = _ROLE,
    timeout: int | None = _TIMEOUT,
    as_json: bool = JsonOption,
) -> None:
    """Change a data source; only the options given change."""
    data = _input(name=name, url=url, root=root, tables=table or None, role=role,
                  timeout_seconds=timeout)
    rt = runtime()
    with rt.db.begin() as s:
        view = data_sources.update(rt, s, source, data, actor="cli")
    emit_one(view, as_json=as_json)


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """Every data source, where it is (password masked) and the tenants granted it."""
    rt = runtime()
    with rt.db.begin() as s:
        views = data_sources.listing(s, rt)
    if as_json:
        emit(views, LIST_COLUMNS, as_json=True)
        return
    emit([_row(v) for v in views], LIST_COLUMNS, as_json=False, title="Data sources")


@app.command("show")
def show(
    source: str = typer.Argument(..., help="Data source name or id."), as_json: bool = JsonOption
) -> None:
    """One data source in full (never its password)."""
    rt = runtime()
    with rt.db.begin() as s:
        view = data_sources.show(s, rt, source)
    emit_one(view, as_json=as_json)


@app.command("grant")
def grant(
    source: str = typer.Argument(..., help="Data source name or id."),
    tenant: str = typer.Argument(..., help="Tenant name or id."),
) -> None:
    """Let a tenant's integrations read the data source."""
    rt = runtime()
    with rt.db.begin() as s:
        name = data_sources.grant(rt, s, source, tenant, actor="cli").name
    console.print(f"granted data source {name!r} to tenant {tenant!r}")


@app.command("revoke")
def revoke(
    source: str = typer.Argument(..., help="Data source name or id."),
    tenant: str = typer.Argument(..., help="Tenant name or id."),
    force: bool = typer.Option(
        False, "--force", help="Revoke even while the tenant's integrations use it (their runs "
        "then fail, naming the source)."
    ),
) -> None:
    """Take a grant back (refused while the tenant's integrations use it, unless --force)."""
    rt = runtime()
    with rt.db.begin() as s:
        name = data_sources.revoke(rt, s, source, tenant, force=force, actor="cli").name
    console.print(f"revoked data source {name!r} from tenant {tenant!r}")


@app.command("remove")
def remove(source: str = typer.Argument(..., help="Data source name or id.")) -> None:
    """Delete a data source no integration uses."""
    rt = runtime()
    with rt.db.begin() as s:
        data_sources.delete(s, source, actor="cli")
    console.print(f"removed data source {source!r}")
