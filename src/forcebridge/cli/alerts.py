"""`forcebridge alerts ...`: a tenant's alert channels (email, Slack, signed webhook), the
incidents they were told about, and a test message."""

from __future__ import annotations

from typing import Any

import typer

from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    console,
    emit,
    emit_one,
    in_tenant,
    runtime,
)
from forcebridge.services import alert_channels, tenants
from forcebridge.services.alert_channels import AlertChannelInput

app = typer.Typer(no_args_is_help=True, help=(
    "Alert channels: told once when a rule starts to hold (an integration disabled, N failed "
    "runs in a row, a connection needing re-authorization, dead letters, the API budget past "
    "80 % / 95 %, a scheduled run missed) and once when it is resolved."))
COLUMNS = ("name", "kind", "to", "rules", "open", "last message")
INCIDENT_COLUMNS = ("opened_at", "rule", "subject", "resolved_at")
RULE_HELP = "A rule to follow (repeatable; default all): integration_disabled, failed_runs, " \
    "connection_reauthorization, dead_letters, api_budget, schedule_missed."
RefArgument = typer.Argument(..., help="The channel's name or id.")


def _row(view: dict[str, Any]) -> dict[str, Any]:
    last = view["last_message"]
    return {
        **view,
        "to": view["url"] or ", ".join(view["recipients"]),
        "rules": "all" if len(view["rules"]) == 6 else ", ".join(view["rules"]),
        "open": view["open_incidents"],
        "last message": f"{last['kind']} {last['status']}" if last else "",
    }


def _save(data: AlertChannelInput, tenant: str | None, ref: str | None, as_json: bool) -> None:
    rt = runtime()
    with rt.db.begin() as s:
        t = tenants.find(s, tenant)
        if ref is None:
            saved = alert_channels.create(s, rt.vault, t.id, data, actor="cli",
                                          allowed_hosts=rt.settings.alert_allowed_hosts)
        else:
            saved = alert_channels.update(s, rt.vault, t.id, ref, data, actor="cli",
                                          allowed_hosts=rt.settings.alert_allowed_hosts)
        view = alert_channels.public_view(s, rt.vault, saved.channel)
    if saved.signing_secret:
        view["new_signing_secret"] = saved.signing_secret
    emit_one(view, as_json=as_json)
    if saved.signing_secret and not as_json:
        console.print("[yellow]Store the signing secret now: it is not shown again.[/yellow]")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="What to call the channel, e.g. 'on-call Slack'."),
    kind: str = typer.Option(..., "--kind", "-k", help="email, slack or webhook."),
    url: str | None = typer.Option(
        None, "--url", help="Slack: the incoming-webhook URL; webhook: where to post."),
    to: list[str] = typer.Option([], "--to", help="Email: an address (repeatable)."),
    rule: list[str] = typer.Option([], "--rule", "-r", help=RULE_HELP),
    failed_runs: int = typer.Option(3, "--failed-runs", help="N of the failed_runs rule."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Add a channel. A webhook's signing secret is printed once."""
    data = _input(name=name, kind=kind, url=url, recipients=to or None, rules=rule or None,
                  failed_runs=failed_runs)
    _save(data, tenant, None, as_json)


@app.command("update")
def update(
    ref: str = RefArgument,
    url: str | None = typer.Option(None, "--url", help="A new URL to post to."),
    to: list[str] = typer.Option([], "--to", help="Email: the addresses (replace the list)."),
    rule: list[str] = typer.Option([], "--rule", "-r", help=RULE_HELP),
    failed_runs: int | None = typer.Option(None, "--failed-runs", help="N of failed_runs."),
    enabled: bool | None = typer.Option(None, "--enable/--disable", help="Turn it on or off."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Change a channel; only what is given changes."""
    data = _input(url=url, recipients=to or None, rules=rule or None, failed_runs=failed_runs,
                  enabled=enabled)
    _save(data, tenant, ref, as_json)


def _input(**fields: Any) -> AlertChannelInput:
    from pydantic import ValidationError

    from forcebridge.errors import InvalidInput

    try:
        return AlertChannelInput(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise InvalidInput.from_pydantic(exc) from None


@app.command("list")
def list_(tenant: str | None = TenantOption, as_json: bool = JsonOption) -> None:
    """List a tenant's channels (never a URL path or a secret)."""
    rt = runtime()
    with rt.db.begin() as s:
        t = tenants.find(s, tenant)
        views = [alert_channels.public_view(s, rt.vault, c)
                 for c in alert_channels.list_all(s, t.id)]
    if as_json:
        emit(views, (), as_json=True)
        return
    emit((_row(v) for v in views), COLUMNS, as_json=False, title=f"Alert channels of {t.name}")


@app.command("show")
def show(ref: str = RefArgument, tenant: str | None = TenantOption,
         as_json: bool = JsonOption) -> None:
    """One channel, and the incidents it was told about (newest first)."""
    rt = runtime()
    with rt.db.begin() as s:
        t = tenants.find(s, tenant)
        channel = alert_channels.get(s, t.id, ref)
        view = alert_channels.public_view(s, rt.vault, channel)
        found = alert_channels.incidents(s, t.id, channel.id)
        rows = [{"id": i.id, "opened_at": i.opened_at, "rule": i.rule,
                 "subject": f"{i.subject_type} {i.subject_name}", "summary": i.summary,
                 "resolved_at": i.resolved_at} for i in found]
    if as_json:
        emit_one({**view, "incidents": rows}, as_json=True)
        return
    emit_one({k: v for k, v in view.items() if k != "last_message"}, as_json=False)
    emit(rows, INCIDENT_COLUMNS, as_json=False, title="Incidents")


@app.command("remove")
def remove(ref: str = RefArgument, tenant: str | None = TenantOption) -> None:
    """Remove a channel, with its incidents and unsent messages."""
    in_tenant(tenant, lambda s, tid: alert_channels.delete(s, tid, ref, actor="cli"))
    console.print(f"removed alert channel {ref}")


@app.command("test")
def test(ref: str = RefArgument, tenant: str | None = TenantOption,
         as_json: bool = JsonOption) -> None:
    """Send a test message now and say whether the channel took it."""
    import anyio

    rt = runtime()
    with rt.db.begin() as s:
        tenant_id = tenants.find(s, tenant).id
    outcome = anyio.run(alert_channels.send_test, rt, tenant_id, ref)
    if as_json:
        emit_one(outcome, as_json=True)
    elif outcome["status"] == "sent":
        console.print(f"test message sent to {ref}")
    else:
        console.print(f"[red]test message not sent:[/red] {outcome['error']} (it is retried "
                      "by the scheduler's alert pass)")
    if outcome["status"] != "sent":
        raise typer.Exit(1)
