"""`forcebridge demo`: the main job on embedded defaults, showing everything that works."""

from __future__ import annotations

import typer
from rich.panel import Panel
from sqlalchemy import select

from forcebridge.cli.output import console, runtime
from forcebridge.services import api_keys, tenants, users
from forcebridge.store.models import Tenant

DEMO_TENANT = "demo"


def demo(
    tenant: str = typer.Option(DEMO_TENANT, help="Name of the demo tenant (reused if it exists)."),
) -> None:
    """Create a demo tenant with a user and an admin API key, and show how to reach the API."""
    rt = runtime()
    with rt.db.begin() as s:
        existing = s.scalar(select(Tenant).where(Tenant.name == tenant))
        t = existing or tenants.create(s, tenant, actor="demo")
        if not users.list_all(s, t.id):
            users.create(s, t.id, "Demo Operator", "operator@example.com", actor="demo")
        issued = api_keys.create(s, t.id, "demo key", admin=True, actor="demo")
    settings = rt.settings
    base = f"http://{settings.bind_host}:{settings.bind_port}"
    console.print(
        Panel.fit(
            f"tenant      [bold]{t.name}[/bold] ({t.id})\n"
            f"database    {rt.db!r}\n"
            f"API key     [bold]{issued.secret}[/bold]  (admin; shown once)\n\n"
            f"Start the API:   forcebridge serve\n"
            f"Try it:          curl -H 'Authorization: Bearer {issued.secret}' {base}/api/v1/users\n"
            f"API reference:   {base}/api/v1/docs",
            title="forcebridge demo",
        )
    )
