"""`forcebridge forms ...`: posts received by inbound-form hooks, replay, and the hook itself."""

from __future__ import annotations

from typing import Any

import anyio
import typer

from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    console,
    emit,
    emit_one,
    runtime,
    suggest,
    tenant_name,
)
from forcebridge.cli.output import tenant_id as find_tenant
from forcebridge.errors import InvalidInput
from forcebridge.forms import manage, posts, sending
from forcebridge.forms.check import integration_form_fields

app = typer.Typer(no_args_is_help=True)

_INTEGRATION = typer.Argument(..., help="The inbound-form integration's name or id.")
_ACTOR = "cli"


@app.command("url")
def url(integration: str = _INTEGRATION, tenant: str | None = TenantOption,
        as_json: bool = JsonOption) -> None:
    """Show where the form posts and how it authenticates; never the secret, which
    `forms rotate-secret` makes and shows once."""
    rt = runtime()
    tid = find_tenant(rt, tenant)
    with rt.db.begin() as s:
        found = manage.form_integration(s, tid, integration)
        view = manage.hook_view(s, rt.settings, rt.vault, found)
        name = found.name
    if as_json:
        emit_one(view, as_json=True)
        return
    typer.echo(view.url)
    when = (f"rotated {view.secret_rotated_at:%Y-%m-%d %H:%M} UTC" if view.secret_rotated_at
            else "made with the form, never shown")
    typer.echo(f"auth: {view.auth}; secret: {view.secret} ({when})")
    if view.auth == "token":
        typer.echo("the form posts to this URL with ?token=<secret>")
    else:
        typer.echo("sign each post: X-Forcebridge-Signature: t=<unix seconds>,v1=<hex "
                   "HMAC-SHA256 of \"<t>.\" + raw body> (docs/forms.md)")
    suggest("the secret is shown once, when made; a new one (the old one stops working)",
            "forms", "rotate-secret", name, "--tenant", tenant_name(rt, tid))


@app.command("rotate-secret")
def rotate_secret(integration: str = _INTEGRATION, tenant: str | None = TenantOption,
                  as_json: bool = JsonOption) -> None:
    """Replace the hook's secret; the old one stops working at once."""
    rt = runtime()
    tid = find_tenant(rt, tenant)
    with rt.db.begin() as s:
        info = manage.rotate_secret(s, rt.settings, rt.vault, tid, integration, actor=_ACTOR)
    if as_json:
        emit_one(info.to_json(), as_json=True)
        return
    console.print("[green]new secret[/green]; the old one no longer works. Hook URL:")
    typer.echo(info.url)
    if info.auth == "hmac":
        typer.echo(f"HMAC secret: {info.secret}")


@app.command("posts")
def list_posts(
    integration: str = _INTEGRATION,
    tenant: str | None = TenantOption,
    status: str | None = typer.Option(
        None, "--status", help=f"Only posts in this state: {', '.join(posts.STATUSES)}."
    ),
    limit: int = typer.Option(100, "--limit", min=1, max=posts.LIST_LIMIT),
    as_json: bool = JsonOption,
) -> None:
    """Posts the hook received, newest first."""
    rt = runtime()
    tid = find_tenant(rt, tenant)
    with rt.db.begin() as s:
        found = manage.form_integration(s, tid, integration)
        rows = [posts.view(p) for p in posts.list_posts(s, found, status=status, limit=limit)]
    emit(rows, ["id", "status", "salesforce_id", "received_at", "attempts", "ignored", "error"],
         as_json=as_json, title=f"posts to {integration}")


@app.command("replay")
def replay(
    post_ids: list[str] | None = typer.Argument(None, help="Post ids to send again."),
    tenant: str | None = TenantOption,
    all_rejected: bool = typer.Option(
        False, "--all-rejected", help="Every rejected post of --integration."
    ),
    integration: str | None = typer.Option(
        None, "--integration", "-i", help="The integration, with --all-rejected."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Send posts again, mapped with the integration's current mapping. Exit code 1 when any
    post was not created (each row says why)."""
    if all_rejected == bool(post_ids):
        raise InvalidInput.field("post_ids", "give post ids or --all-rejected (not both)")
    if all_rejected and not integration:
        raise InvalidInput.field("--integration", "--all-rejected needs --integration")
    rt = runtime()
    tid = find_tenant(rt, tenant)
    if all_rejected:
        assert integration is not None
        outcomes = anyio.run(
            lambda: sending.replay_rejected(rt, tid, integration, actor=_ACTOR)
        )
    else:
        ids = list(post_ids or [])
        outcomes = anyio.run(lambda: sending.replay(rt, tid, ids, actor=_ACTOR))
    rows: list[dict[str, Any]] = [
        {"post_id": o.post_id, "status": o.status, "id": o.salesforce_id,
         "error": o.message if o.status != "created" else None}
        for o in outcomes
    ]
    emit(rows, ["post_id", "status", "id", "error"], as_json=as_json,
         title=f"{len(rows)} posts replayed")
    if any(o.status != "created" for o in outcomes):
        raise typer.Exit(1)  # the work did not all succeed: scripts must see it


@app.command("fields")
def fields(integration: str = _INTEGRATION, tenant: str | None = TenantOption,
           as_json: bool = JsonOption) -> None:
    """The fields the form can fill (createable ones), required ones marked."""
    rt = runtime()
    tid = find_tenant(rt, tenant)
    rows = anyio.run(lambda: integration_form_fields(rt, tid, integration))
    emit(rows, ["name", "label", "type", "required", "mapped_from"], as_json=as_json,
         title=f"fields {integration} can fill")
