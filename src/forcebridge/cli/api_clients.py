"""`forcebridge api-clients ...`: credentials a Salesforce Named Credential uses to call us."""

from __future__ import annotations

from typing import Any

import typer

from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    as_row,
    console,
    emit_of_tenant,
    emit_one,
    runtime,
)
from forcebridge.runtime import Runtime
from forcebridge.services import api_clients, tenants
from forcebridge.services.api_clients import IssuedClient

app = typer.Typer(no_args_is_help=True)
COLUMNS = (
    "id",
    "name",
    "client_id",
    "scopes",
    "created_at",
    "rotated_at",
    "last_used_at",
    "revoked_at",
)
EndTokensOption = typer.Option(
    False, "--end-tokens",
    help="Also end every access token issued so far, at once (for a leaked secret).",
)
RefArgument = typer.Argument(..., help="The client's name, id or client id (fbc_...).")


def _row(client: Any) -> dict[str, Any]:
    return {**as_row(client, COLUMNS), "scopes": list(client.scopes)}


def _with_secret(issued: IssuedClient, rt: Runtime) -> dict[str, Any]:
    return {
        **_row(issued.client),
        "client_secret": issued.secret,
        "token_url": f"{rt.settings.resolved_public_url}/oauth/token",
    }


def _show_secret(row: dict[str, Any], *, as_json: bool) -> None:
    """Printed only after the transaction committed, so a shown secret is a stored one."""
    emit_one(row, as_json=as_json)
    if not as_json:
        console.print("[yellow]Store the client secret now: it is not shown again.[/yellow]")


@app.command("create")
def create(
    name: str = typer.Argument(..., help="What calls with it, e.g. 'Acme org Named Credential'."),
    tenant: str | None = TenantOption,
    scope: list[str] = typer.Option(
        ...,
        "--scope",
        "-s",
        help=f"A scope to grant (repeatable): {', '.join(api_clients.SCOPES)}.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create an API client. Its secret is printed once and never stored."""
    rt = runtime()
    with rt.db.begin() as s:
        t = tenants.find(s, tenant)
        row = _with_secret(api_clients.create(s, t.id, name, scope, actor="cli"), rt)
    _show_secret(row, as_json=as_json)


@app.command("list")
def list_(tenant: str | None = TenantOption, as_json: bool = JsonOption) -> None:
    """List a tenant's API clients (never their secrets)."""
    emit_of_tenant(tenant, "API clients",
                   lambda s, tid: [_row(c) for c in api_clients.list_all(s, tid)],
                   COLUMNS, as_json=as_json)


@app.command("rotate")
def rotate(
    ref: str = RefArgument,
    tenant: str | None = TenantOption,
    end_tokens: bool = EndTokensOption,
    as_json: bool = JsonOption,
) -> None:
    """Issue a new secret: the old one fails at once; issued tokens live until they expire,
    unless --end-tokens."""
    rt = runtime()
    with rt.db.begin() as s:
        t = tenants.find(s, tenant)
        row = _with_secret(api_clients.rotate(s, t.id, ref, actor="cli", end_tokens=end_tokens), rt)
    _show_secret(row, as_json=as_json)


@app.command("revoke")
def revoke(
    ref: str = RefArgument, tenant: str | None = TenantOption, end_tokens: bool = EndTokensOption
) -> None:
    """Revoke a client: its secret fails at once; issued tokens live until they expire,
    unless --end-tokens."""
    with runtime().db.begin() as s:
        t = tenants.find(s, tenant)
        client = api_clients.revoke(s, t.id, ref, actor="cli", end_tokens=end_tokens)
        client_id = client.client_id
    ended = "; its access tokens are ended" if end_tokens else ""
    console.print(f"revoked api client {client_id}{ended}")
