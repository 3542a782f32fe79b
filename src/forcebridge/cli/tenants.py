"""`forcebridge tenants ...`"""

from __future__ import annotations

import typer

from forcebridge.cli.output import JsonOption, as_row, console, emit, emit_one, runtime
from forcebridge.services import tenants

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("id", "name", "created_at")


@app.command("create")
def create(
    name: str = typer.Argument(..., help="A clear, unique name for the tenant."),
    as_json: bool = JsonOption,
) -> None:
    """Create a tenant."""
    with runtime().db.begin() as s:
        emit_one(as_row(tenants.create(s, name, actor="cli"), COLUMNS), as_json=as_json)


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """List every tenant."""
    with runtime().db.begin() as s:
        emit(
            (as_row(t, COLUMNS) for t in tenants.list_all(s)),
            COLUMNS,
            as_json=as_json,
            title="Tenants",
        )


@app.command("delete")
def delete(
    tenant: str = typer.Argument(..., help="Tenant name or id."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a tenant and everything that belongs to it."""
    with runtime().db.begin() as s:
        found = tenants.find(s, tenant)
        if not yes:
            typer.confirm(f"Delete tenant {found.name!r} and all its data?", abort=True)
        tenants.delete(s, found.id, actor="cli")
    console.print(f"deleted tenant {found.name}")
