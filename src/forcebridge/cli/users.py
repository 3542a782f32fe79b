"""`forcebridge users ...`"""

from __future__ import annotations

import typer

from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    as_row,
    console,
    emit,
    emit_one,
    runtime,
)
from forcebridge.services import tenants, users

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("id", "name", "email", "notify", "created_at")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="The person's name."),
    email: str = typer.Argument(..., help="Where notifications go."),
    tenant: str = TenantOption,
    notify: bool = typer.Option(
        True, "--notify/--no-notify", help="Receive failure notifications."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Add a user to a tenant."""
    with runtime().db.begin() as s:
        t = tenants.find(s, tenant)
        emit_one(
            as_row(users.create(s, t.id, name, email, notify=notify, actor="cli"), COLUMNS),
            as_json=as_json,
        )


@app.command("list")
def list_(tenant: str = TenantOption, as_json: bool = JsonOption) -> None:
    """List a tenant's users."""
    with runtime().db.begin() as s:
        t = tenants.find(s, tenant)
        emit(
            (as_row(u, COLUMNS) for u in users.list_all(s, t.id)),
            COLUMNS,
            as_json=as_json,
            title=f"Users of {t.name}",
        )


@app.command("remove")
def remove(
    user_id: str = typer.Argument(..., help="The user's id."), tenant: str = TenantOption
) -> None:
    """Remove a user from a tenant."""
    with runtime().db.begin() as s:
        t = tenants.find(s, tenant)
        users.delete(s, t.id, user_id, actor="cli")
    console.print(f"removed user {user_id}")
