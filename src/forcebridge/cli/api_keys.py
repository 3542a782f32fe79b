"""`forcebridge api-keys ...`"""

from __future__ import annotations

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
from forcebridge.services import api_keys, tenants

app = typer.Typer(no_args_is_help=True)
COLUMNS = ("id", "name", "prefix", "admin", "created_at", "last_used_at", "revoked_at")


@app.command("create")
def create(
    name: str = typer.Argument(..., help="What the key is for, e.g. 'billing backend'."),
    tenant: str | None = TenantOption,
    admin: bool = typer.Option(False, "--admin", help="May manage tenants through the API."),
    as_json: bool = JsonOption,
) -> None:
    """Issue an API key. The full key is printed once and never stored."""
    with runtime().db.begin() as s:
        t = tenants.find(s, tenant)
        issued = api_keys.create(s, t.id, name, admin=admin, actor="cli")
        row = {**as_row(issued.key, COLUMNS), "key": issued.secret}
    emit_one(row, as_json=as_json)
    if not as_json:
        console.print("[yellow]Store the key now: it is not shown again.[/yellow]")


@app.command("list")
def list_(tenant: str | None = TenantOption, as_json: bool = JsonOption) -> None:
    """List a tenant's API keys (prefixes only)."""
    emit_of_tenant(tenant, "API keys",
                   lambda s, tid: [as_row(k, COLUMNS) for k in api_keys.list_all(s, tid)],
                   COLUMNS, as_json=as_json)


@app.command("revoke")
def revoke(
    key_id: str = typer.Argument(..., help="The key's name, id or prefix (fbk_...)."), tenant: str | None = TenantOption
) -> None:
    """Revoke an API key at once."""
    in_tenant(tenant, lambda s, tid: api_keys.revoke(s, tid, key_id, actor="cli"))
    console.print(f"revoked key {key_id}")
