"""`forcebridge demo`: the main job on embedded defaults, showing everything that works.

The embedded defaults are the SQLite store in the data directory and the emulator running
in-process (a fresh demo org each time), so the demo needs no network and no Salesforce org.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import typer
from rich.panel import Panel
from rich.table import Table
from sqlalchemy import select

from forcebridge.cli.output import console, runtime
from forcebridge.emulator.app import create_app as create_emulator
from forcebridge.emulator.org import Org
from forcebridge.errors import NotFound
from forcebridge.runtime import Runtime
from forcebridge.salesforce.certificates import jwt_keypair
from forcebridge.services import api_keys, authorization, connections, tenants, users
from forcebridge.services.connections import ConnectionInput
from forcebridge.store.models import Tenant

DEMO_TENANT = "demo"
DEMO_CONNECTION = "Demo org (emulator)"
EMULATOR_URL = "https://emulator.forcebridge.localhost"


def demo(
    tenant: str = typer.Option(DEMO_TENANT, help="Name of the demo tenant (reused if it exists)."),
) -> None:
    """Create a demo tenant, connect the embedded emulator org by JWT bearer, and show what works."""
    rt = runtime()
    org = Org.demo()
    emulator = create_emulator(org, base_url=EMULATOR_URL)
    rt.salesforce_transport = httpx.ASGITransport(app=emulator)

    with rt.db.begin() as s:
        t = s.scalar(select(Tenant).where(Tenant.name == tenant)) or tenants.create(
            s, tenant, actor="demo"
        )
        if not users.list_all(s, t.id):
            users.create(s, t.id, "Demo Operator", "operator@example.com", actor="demo")
        issued = api_keys.create(s, t.id, "demo key", admin=True, actor="demo")
        tenant_id, tenant_name = t.id, t.name

    connection = _connect(rt, org, emulator, tenant_id)
    describe = anyio.run(_account_summary, rt, tenant_id)
    _print(rt, tenant_name, tenant_id, issued.secret, connection, describe)


def _connect(rt: Runtime, org: Org, emulator: Any, tenant_id: str) -> dict[str, Any]:
    """A JWT-bearer connection: a fresh key pair, its certificate registered in the org's app."""
    app, user = org.config.connected_apps[0], org.config.users[0]
    pair = jwt_keypair("forcebridge demo")
    emulator.state.emulator.oauth.set_certificate(app.consumer_key, pair.certificate_pem)
    data = ConnectionInput(
        name=DEMO_CONNECTION,
        environment="custom",
        login_url=EMULATOR_URL,
        auth_flow="jwt_bearer",
        consumer_key=app.consumer_key,
        username=user.username,
        private_key=pair.private_key_pem,
        concurrency=5,
    )
    with rt.db.begin() as s:
        try:
            connections.update(s, rt.vault, tenant_id, DEMO_CONNECTION, data, actor="demo")
        except NotFound:
            connections.create(s, rt.vault, tenant_id, data, actor="demo")
    return anyio.run(authorization.authorize, rt, tenant_id, DEMO_CONNECTION).connection


async def _account_summary(rt: Runtime, tenant_id: str) -> dict[str, Any]:
    def client() -> Any:
        with rt.db.begin() as s:
            return authorization.client_for(rt, s, connections.get(s, tenant_id, DEMO_CONNECTION))

    async with client() as sf:
        account = await sf.describe("Account")
        return {
            "fields": len(account.field_names),
            "required on create": ", ".join(account.required_on_create) or "-",
            "createable": len(account.createable_fields),
            "updateable": len(account.updateable_fields),
            "external ids": ", ".join(account.external_id_fields) or "-",
            "id lookups": ", ".join(account.id_lookup_fields),
            "API calls used today": f"{sf.usage.used} of {sf.usage.allocation}",
        }


def _print(
    rt: Runtime,
    tenant: str,
    tenant_id: str,
    key: str,
    conn: dict[str, Any],
    describe: dict[str, Any],
) -> None:
    settings = rt.settings
    base = f"http://{settings.bind_host}:{settings.bind_port}"
    console.print(
        Panel.fit(
            f"tenant      [bold]{tenant}[/bold] ({tenant_id})\n"
            f"database    {rt.db!r}\n"
            f"API key     [bold]{key}[/bold]  (admin; shown once)",
            title="forcebridge demo: store",
        )
    )
    identity = Table(
        title=f"Connection {conn['name']!r}: {conn['auth_flow']}, status {conn['status']}"
    )
    identity.add_column("org identity", style="bold")
    identity.add_column("value")
    for label, key_ in (("org id", "org_id"), ("user", "salesforce_username"), ("user id", "salesforce_user_id"),
                        ("instance", "instance_url"), ("authorized at", "authorized_at"), ("reason", "status_reason")):  # fmt: skip
        if conn.get(key_):
            identity.add_row(label, str(conn[key_]))
    console.print(identity)
    account = Table(title="Account describe (live, through the connection)")
    account.add_column("question", style="bold")
    account.add_column("answer")
    for label, value in describe.items():
        account.add_row(label, str(value))
    console.print(account)
    console.print(
        f"Next:  forcebridge serve    then  curl -H 'Authorization: Bearer {key}' {base}/api/v1/connections\n"
        f"       forcebridge emulator serve --tls   runs the same org on a socket for any Salesforce client."
    )
    if conn["status"] != "authorized":
        raise typer.Exit(1)
