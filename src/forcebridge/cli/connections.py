"""`forcebridge connections ...`"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import typer

from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    console,
    emit_of_tenant,
    emit_one,
    in_tenant,
    runtime,
    tenant_id,
    url,
)
from forcebridge.services import authorization, connection_deletion, connections
from forcebridge.services.connections import ConnectionInput, ConnectionOutcome

app = typer.Typer(no_args_is_help=True)
LIST_COLUMNS = (
    "name",
    "environment",
    "auth_flow",
    "status",
    "concurrency",
    "borrow_from",
    "org_id",
    "id",
)


def _read(path: Path | None) -> str | None:
    return path.read_text() if path else None


def _input(**given: Any) -> ConnectionInput:
    """Only the options the user actually gave, so an update changes nothing else."""
    return ConnectionInput(**{k: v for k, v in given.items() if v is not None})


_ENV = typer.Option(
    None,
    "--environment",
    "-e",
    help="production (login.salesforce.com), sandbox (test.salesforce.com) or custom.",
)
_LOGIN = typer.Option(
    None, "--login-url", help="Login URL for environment custom, e.g. a My Domain."
)
_FLOW = typer.Option(
    None, "--auth-flow", "-f", help="jwt_bearer, web_server, password or client_credentials."
)
_VERSION = typer.Option(None, "--api-version", help="Salesforce API version, e.g. 62.0.")
_KEY = typer.Option(None, "--consumer-key", help="The connected app's consumer key.")
_SECRET = typer.Option(
    None, "--consumer-secret", help="The connected app's consumer secret (stored encrypted)."
)
_USER = typer.Option(None, "--username", help="Salesforce username (JWT bearer, password flow).")
_PASSWORD = typer.Option(
    None, "--password", help="Salesforce password (password flow; stored encrypted)."
)
_TOKEN = typer.Option(
    None, "--security-token", help="Security token appended to the password (stored encrypted)."
)
_PKEY = typer.Option(
    None, "--private-key-file", exists=True, dir_okay=False, help="PEM private key for JWT bearer."
)
_CERT = typer.Option(
    None,
    "--certificate-file",
    exists=True,
    dir_okay=False,
    help="PEM certificate matching the key.",
)
_CA = typer.Option(
    None,
    "--ca-bundle",
    help="PEM file of CA certificates to trust for the org's TLS certificate (a private CA, "
    "a TLS-inspecting proxy, the emulator's --tls CA); '' for the system's.",
)
_CONC = typer.Option(
    None,
    "--concurrency",
    "-c",
    min=1,
    max=25,
    help="Parallel API calls allowed, 1..25 (default 5).",
)
_BUDGET = typer.Option(
    None,
    "--api-budget-percent",
    min=1,
    max=100,
    help="Share of the org's daily API allocation runs may use, 1..100 (default 80); a run "
    "reaching it waits as waiting_for_api_budget.",
)
_BORROW = typer.Option(
    None, "--borrow-from", help="Share another connection's concurrency pool ('' to stop)."
)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="A clear, distinguishable name, unique in the tenant."),
    tenant: str | None = TenantOption,
    environment: str = typer.Option(
        "production", "--environment", "-e", help="production, sandbox or custom."
    ),
    login_url: str | None = _LOGIN,
    auth_flow: str = typer.Option(
        ..., "--auth-flow", "-f", help="jwt_bearer, web_server, password or client_credentials."
    ),
    api_version: str | None = _VERSION,
    consumer_key: str | None = _KEY,
    consumer_secret: str | None = _SECRET,
    username: str | None = _USER,
    password: str | None = _PASSWORD,
    security_token: str | None = _TOKEN,
    private_key_file: Path | None = _PKEY,
    certificate_file: Path | None = _CERT,
    ca_bundle: str | None = _CA,
    concurrency: int | None = _CONC,
    api_budget_percent: int | None = _BUDGET,
    borrow_from: str | None = _BORROW,
    as_json: bool = JsonOption,
) -> None:
    """Save a connection (status draft); then run `connections authorize`."""
    data = _input(
        name=name, environment=environment, login_url=login_url, auth_flow=auth_flow, api_version=api_version,
        consumer_key=consumer_key, consumer_secret=consumer_secret, username=username, password=password,
        security_token=security_token, private_key=_read(private_key_file), certificate=_read(certificate_file),
        ca_bundle=ca_bundle, concurrency=concurrency, api_budget_percent=api_budget_percent,
        borrow_from=borrow_from,
    )  # fmt: skip
    rt = runtime()
    view = in_tenant(tenant, lambda s, tid: connections.create(s, rt.vault, tid, data, actor="cli"),
                     rt=rt)
    emit_one(view, as_json=as_json)


@app.command("update")
def update(
    connection: str = typer.Argument(..., help="Connection name or id."),
    tenant: str | None = TenantOption,
    name: str | None = typer.Option(None, "--name", help="New name."),
    environment: str | None = _ENV,
    login_url: str | None = _LOGIN,
    auth_flow: str | None = _FLOW,
    api_version: str | None = _VERSION,
    consumer_key: str | None = _KEY,
    consumer_secret: str | None = _SECRET,
    username: str | None = _USER,
    password: str | None = _PASSWORD,
    security_token: str | None = _TOKEN,
    private_key_file: Path | None = _PKEY,
    certificate_file: Path | None = _CERT,
    ca_bundle: str | None = _CA,
    concurrency: int | None = _CONC,
    api_budget_percent: int | None = _BUDGET,
    borrow_from: str | None = _BORROW,
    as_json: bool = JsonOption,
) -> None:
    """Change some settings of a connection; credential changes send it back to draft."""
    data = _input(
        name=name, environment=environment, login_url=login_url, auth_flow=auth_flow, api_version=api_version,
        consumer_key=consumer_key, consumer_secret=consumer_secret, username=username, password=password,
        security_token=security_token, private_key=_read(private_key_file), certificate=_read(certificate_file),
        ca_bundle=ca_bundle, concurrency=concurrency, api_budget_percent=api_budget_percent,
        borrow_from=borrow_from,
    )  # fmt: skip
    rt = runtime()
    view = in_tenant(tenant, lambda s, tid: connections.update(s, rt.vault, tid, connection, data,
                                                               actor="cli"), rt=rt)
    emit_one(view, as_json=as_json)


@app.command("list")
def list_(tenant: str | None = TenantOption, as_json: bool = JsonOption) -> None:
    """List a tenant's connections with their status."""
    emit_of_tenant(tenant, "Connections", connections.listing, LIST_COLUMNS, as_json=as_json)


@app.command("show")
def show(
    connection: str = typer.Argument(..., help="Connection name or id."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Show one connection (secrets only as set / not set)."""
    emit_one(in_tenant(tenant, lambda s, tid: connections.show(s, tid, connection)),
             as_json=as_json)


@app.command("delete")
def delete(
    connection: str = typer.Argument(..., help="Connection name or id."),
    tenant: str | None = TenantOption,
    force: bool = typer.Option(
        False, "--force",
        help="Delete it even though integrations use it: they are disconnected (and stop "
        "running), each gets an event, and their notification users an email.",
    ),
) -> None:
    """Delete a connection. Refused while integrations use it (they are listed) unless
    --force, and while other connections borrow its concurrency."""
    rt = runtime()
    gone = connection_deletion.delete(rt, tenant_id(rt, tenant), connection, actor="cli",
                                      force=force)
    console.print(f"deleted connection {connection}")
    for integration in gone:
        console.print(f"  disconnected integration {integration.name} ({integration.id})")


def _show_outcome(outcome: ConnectionOutcome, as_json: bool) -> None:
    """The connection; the URL to open (web-server flow) whole on its own line; exit 1 when
    the connection is not authorized and no URL is waiting to be opened."""
    hidden = {"authorization_url"} if not (as_json and outcome.authorization_url) else set()
    emit_one(outcome.model_dump(exclude=hidden), as_json=as_json)
    if not as_json and outcome.authorization_url:
        console.print()
        url(
            "Open this URL in a browser and log in; Salesforce then calls back this server:",
            outcome.authorization_url,
        )
    if not outcome.authorization_url and outcome.status != "authorized":
        raise typer.Exit(1)


@app.command("authorize")
def authorize(
    connection: str = typer.Argument(..., help="Connection name or id."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Save & authorize: log in, record the org identity (web-server flow: print the URL to open)."""
    rt = runtime()
    _show_outcome(
        anyio.run(authorization.authorize, rt, tenant_id(rt, tenant), connection), as_json
    )


@app.command("test")
def test(
    connection: str = typer.Argument(..., help="Connection name or id."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Authenticate with the stored credentials now and update the status."""
    rt = runtime()
    _show_outcome(anyio.run(authorization.test, rt, tenant_id(rt, tenant), connection), as_json)
