"""`forcebridge users ...`"""

from __future__ import annotations

import sys
from typing import Any

import typer

from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    as_row,
    console,
    emit_of_tenant,
    emit_one,
    in_tenant,
    runtime,
)
from forcebridge.services import tenants, users
from forcebridge.store.models import User

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("id", "name", "email", "notify", "admin", "console", "created_at")


def _row(user: User) -> dict[str, Any]:
    row = as_row(user, ("id", "name", "email", "notify", "admin", "created_at"))
    row["console"] = user.password_hash is not None  # whether they can sign in; never the hash
    return row


@app.command("add")
def add(
    name: str = typer.Argument(..., help="The person's name."),
    email: str = typer.Argument(..., help="Where notifications go."),
    tenant: str | None = TenantOption,
    notify: bool = typer.Option(
        True, "--notify/--no-notify", help="Receive failure notifications."
    ),
    admin: bool = typer.Option(
        False, "--admin", help="Grant what an admin API key grants, in the console too."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Add a user to a tenant. Give them a password with `users set-password` to let them
    sign into the console (the first admin is made this way)."""
    with runtime().db.begin() as s:
        t = tenants.find(s, tenant)
        user = users.create(s, t.id, name, email, notify=notify, admin=admin, actor="cli")
        emit_one(_row(user), as_json=as_json)


@app.command("set-password")
def set_password(
    user: str = typer.Argument(..., help="The user's email or id."),
    tenant: str | None = TenantOption,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (for scripts)."
    ),
) -> None:
    """Set a user's console password (argon2-hashed); their open sessions end.

    Asks twice on a terminal; with --password-stdin reads one line instead."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with runtime().db.begin() as s:
        t = tenants.find(s, tenant)
        updated = users.set_password(s, t.id, user, password, actor="cli")
        email = updated.email
    console.print(f"{email} can now sign into the console")


@app.command("list")
def list_(tenant: str | None = TenantOption, as_json: bool = JsonOption) -> None:
    """List a tenant's users."""
    emit_of_tenant(tenant, "Users", lambda s, tid: [_row(u) for u in users.list_all(s, tid)],
                   COLUMNS, as_json=as_json)


@app.command("remove")
def remove(
    user_id: str = typer.Argument(..., help="The user's email, name or id."), tenant: str | None = TenantOption
) -> None:
    """Remove a user from a tenant."""
    in_tenant(tenant, lambda s, tid: users.delete(s, tid, user_id, actor="cli"))
    console.print(f"removed user {user_id}")
