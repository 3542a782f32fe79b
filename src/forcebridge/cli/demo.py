"""`forcebridge demo`: the main job on embedded defaults, showing everything that works.

The embedded defaults are the SQLite store in the data directory and the emulator running
in-process (a fresh demo org each time), so the demo needs no network and no Salesforce org.
It plays a billing vendor: a small billing database is seeded, four entity-sync integrations
(accounts, contracts, prepayments/commitments, balances into the `acme` managed package) are
saved and run, a few rows change and a second run shows that only those were sent. Later
parts of the product are the steps in `forcebridge.demo.steps.MORE_STEPS`.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import anyio
import httpx
import typer
from rich.panel import Panel
from rich.text import Text
from sqlalchemy import select

from forcebridge.cli.listing import Listing
from forcebridge.cli.output import console, runtime, table
from forcebridge.cli.serve import serve_runtime
from forcebridge.demo import billing, next_steps
from forcebridge.demo import sync as demo_sync
from forcebridge.demo.context import DemoContext
from forcebridge.demo.integrations import INTEGRATIONS, NAMESPACE
from forcebridge.demo.steps import run_more
from forcebridge.demo.sync import RunSummary
from forcebridge.errors import NotFound
from forcebridge.runtime import Runtime
from forcebridge.salesforce import ConnectionPools, jwt_keypair
from forcebridge.services import api_keys, authorization, connections, tenants, users
from forcebridge.services.connections import ConnectionInput
from forcebridge.store.models import Tenant
from forcebridge.sync.namespace import apply_prefix
from forcebridge_emulator import Org
from forcebridge_emulator import create_app as create_emulator

DEMO_TENANT = "demo"
DEMO_CONNECTION = "Demo org (emulator)"
DEMO_USER_EMAIL = "operator@example.com"
EMULATOR_URL = "https://emulator.forcebridge.localhost"


def demo(
    tenant: str = typer.Option(DEMO_TENANT, help="Name of the demo tenant (reused if it exists)."),
    changes: int = typer.Option(
        5, min=1, max=100, help="Rows changed in each billing table before the second run."
    ),
    serve: bool = typer.Option(
        False, "--serve",
        help="Afterwards keep the emulator org and serve the API, the console and the scheduler "
        "on the demo's data until Ctrl+C (prints where to sign in).",
    ),
    port: int | None = typer.Option(None, help="With --serve: the port (default from "
                                    "FORCEBRIDGE_BIND_PORT, 8000)."),
) -> None:
    """Connect the embedded emulator org, sync a billing database into it twice, show the runs;
    with --serve, keep it all running and open the console on it."""
    rt = runtime()
    if port is not None:
        rt.settings.bind_port = port
    if "log_level" not in rt.settings.model_fields_set:
        # the tables say what each run did; a log line per run would only interleave with them
        logging.getLogger("forcebridge").setLevel(logging.WARNING)
    org = Org.demo()
    emulator = create_emulator(org, base_url=EMULATOR_URL)
    rt.salesforce_transport = httpx.ASGITransport(app=emulator)

    with rt.db.begin() as s:
        t = s.scalar(select(Tenant).where(Tenant.name == tenant)) or tenants.create(
            s, tenant, actor="demo"
        )
        if not users.list_all(s, t.id):
            users.create(s, t.id, "Demo Operator", DEMO_USER_EMAIL, actor="demo")
        notify = [u.email for u in users.list_all(s, t.id)][:1]
        issued = api_keys.create(s, t.id, "demo key", admin=True, actor="demo")
        tenant_id, tenant_name = t.id, t.name

    connection = _connect(rt, org, emulator, tenant_id)
    describe = anyio.run(_account_summary, rt, tenant_id)
    _print(rt, tenant_name, tenant_id, issued.secret, connection, describe)
    if connection["status"] != "authorized":
        raise typer.Exit(1)
    context = DemoContext(
        rt=rt, tenant_id=tenant_id, connection=DEMO_CONNECTION, org=org, emulator=emulator,
        data_dir=rt.settings.data_dir / "demo", console=console, notify=notify,
    )  # fmt: skip
    sent_only_changes = _entity_sync(context, changes)
    run_more(context)
    if not serve:
        _next_steps(rt, tenant_name, issued.secret)
    if not sent_only_changes:
        raise typer.Exit(1)
    if serve:
        _serve(rt, tenant_id)


def _serve(rt: Runtime, tenant_id: str) -> None:
    """Serve on the demo's runtime: its transport reaches the org held in this process, so
    scheduled runs, the console's Run now and its Test connection keep reaching it."""
    password = secrets.token_urlsafe(12)
    with rt.db.begin() as s:
        users.set_password(s, tenant_id, DEMO_USER_EMAIL, password, actor="demo")
    rt.pools = ConnectionPools()  # the demo's pools belong to event loops that have ended
    base = rt.settings.resolved_public_url
    console.print(
        Panel.fit(
            f"console   [bold]{base}/[/bold]\n"
            f"sign in   [bold]{DEMO_USER_EMAIL}[/bold]  password [bold]{password}[/bold]"
            "  (new each time)\n"
            f"API       {base}/api/v1  (the API key above)\n"
            "The emulator org lives in this process; Ctrl+C stops both.",
            title="forcebridge demo --serve",
        )
    )
    serve_runtime(rt, scheduler=True)


def _entity_sync(ctx: DemoContext, changes: int) -> bool:
    """Seed, save the four integrations, run, change rows, run again; True when the second
    run sent exactly the changed rows."""
    database = ctx.data_dir / "billing.db"
    rows = billing.seed(database)
    console.print(f"Billing database (SQLite, seeded afresh): {database}, granted to the "
                  f"demo tenant as data source {demo_sync.SOURCE!r} (integrations name it)")
    table(Listing(("table", "rows"), [[t, str(n)] for t, n in rows.items()], right=("rows",)))

    demo_sync.reset(ctx.rt, ctx.tenant_id)
    # one event loop for every Salesforce call: the connection's pool belongs to it
    first, changed, second = anyio.run(_sync_twice, ctx, database, changes)
    expected = {item.name: len(changed[item.table]) for item in INTEGRATIONS}
    ok = all(
        r.status == "succeeded" and r.created == 0 and r.updated == expected[r.integration]
        for r in second
    ) and all(r.status == "succeeded" for r in first)
    sent = sum(r.updated + r.created for r in second)
    calls = sum(r.api_calls for r in second)
    if ok:
        console.print(
            f"[green]The second run sent only the {sent} changed records[/green] "
            f"({calls} API calls for all four integrations); the other "
            f"{sum(r.unchanged for r in second)} cost no API call."
        )
    else:
        console.print(
            "[red]The second run did not send exactly the changed rows[/red] "
            f"(expected {expected}; see the table above and `forcebridge events list`)."
        )
    return ok


async def _sync_twice(
    ctx: DemoContext, database: Path, changes: int
) -> tuple[list[RunSummary], dict[str, list[str]], list[RunSummary]]:
    names = await demo_sync.create_all(
        ctx.rt, ctx.tenant_id, billing.url(database), connection=ctx.connection,
        notify=ctx.notify,
    )  # fmt: skip
    _print_integrations(names)
    first = await demo_sync.run_all(ctx.rt, ctx.tenant_id, names)
    _print_runs("First run: everything is new", first)
    changed = billing.change_rows(database, changes)
    console.print(
        f"Changed {changes} rows in each billing table: "
        + "; ".join(f"{t} {', '.join(ids)}" for t, ids in changed.items())
    )
    second = await demo_sync.run_all(ctx.rt, ctx.tenant_id, names)
    _print_runs("Second run: only what changed is sent", second)
    return first, changed, second


def _print_integrations(names: list[str]) -> None:
    prefix = str(NAMESPACE["prefix"])
    table(Listing(
        ("integration", "source table", "Salesforce object", "matched on", "mappings"),
        [[name, item.table, apply_prefix(item.object, prefix),
          apply_prefix(item.external_id, prefix), str(len(item.mappings))]
         for item, name in zip(INTEGRATIONS, names, strict=True)],
        f"Entity sync integrations (namespace: managed package {prefix})", right=("mappings",),
    ))  # fmt: skip


def _print_runs(title: str, runs: list[RunSummary]) -> None:
    counts = ("read", "created", "updated", "unchanged", "failed", "API calls", "secs")
    table(Listing(
        ("integration", "status", *counts),
        [[r.integration, Text(r.status, style="green" if r.status == "succeeded" else "red"),
          str(r.read), str(r.created), str(r.updated), str(r.unchanged), str(r.failed),
          str(r.api_calls), f"{r.seconds:.2f}"] for r in runs],
        title, right=counts,
    ))  # fmt: skip
    for r in runs:
        if r.error:
            console.print(f"[red]{r.integration}: {r.error}[/red]")


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
    return anyio.run(authorization.authorize, rt, tenant_id, DEMO_CONNECTION).model_dump()


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
    console.print(
        Panel.fit(
            f"tenant      [bold]{tenant}[/bold] ({tenant_id})\n"
            f"database    {rt.db!r}\n"
            f"API key     [bold]{key}[/bold]  (admin; shown once)",
            title="forcebridge demo: store",
        )
    )
    shown = (("org id", "org_id"), ("user", "salesforce_username"), ("user id", "salesforce_user_id"),
             ("instance", "instance_url"), ("authorized at", "authorized_at"), ("reason", "status_reason"))  # fmt: skip
    table(Listing(
        ("org identity", "value"),
        [[label, str(conn[key_])] for label, key_ in shown if conn.get(key_)],
        f"Connection {conn['name']!r}: {conn['auth_flow']}, status {conn['status']}",
    ))  # fmt: skip
    table(Listing(
        ("question", "answer"), [[label, str(value)] for label, value in describe.items()],
        "Account describe (live, through the connection)",
    ))  # fmt: skip


def _next_steps(rt: Runtime, tenant: str, key: str) -> None:
    settings = rt.settings
    base = f"http://{settings.bind_host}:{settings.bind_port}"
    console.print("[bold]Next[/bold]")
    for step in next_steps.closing(tenant, key, base):
        console.print(Text(f"  {step.label}:"), highlight=False)
        console.print(Text(f"    {step.line}"), soft_wrap=True, highlight=False)
