"""`forcebridge events ...`: failures kept until resolved; list, show, resolve, retry them."""

from __future__ import annotations

import functools
from typing import Any

import anyio
import orjson
import typer
from rich.json import JSON

from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    console,
    console_err,
    emit,
    emit_one,
    in_tenant,
    runtime,
    suggest,
    tenant_id,
    tenant_name,
)
from forcebridge.cli.runs import summary
from forcebridge.integrations import retries
from forcebridge.services import events
from forcebridge.services import runs as run_history
from forcebridge.services.events import EventView
from forcebridge.services.pages import DEFAULT_LIMIT, MAX_LIMIT, SHORT_ID

app = typer.Typer(no_args_is_help=True)

COLUMNS = ("id", "integration", "status", "record_key", "error_code", "message", "seen",
           "last_seen")
_IDS = typer.Argument(..., help="Event ids (several allowed).")


def _short(event: EventView) -> dict[str, Any]:
    """A row for a table: short id (`events show` takes it), the message's first line whole
    (a word in it may be an API name; `events show` has the rest), how many times it was
    seen and when last."""
    row = event.model_dump()
    lines = (row.get("message") or "").splitlines()
    first = lines[0] if lines else ""
    if len(lines) > 1:
        first += " (more: events show)"
    last = row.get("last_seen_at")
    return {**row, "id": row["id"][:SHORT_ID], "message": first,
            "seen": row.get("occurrences") or 1,
            "last_seen": last.strftime("%m-%d %H:%M") if last else ""}


@app.command("list")
def list_events(
    tenant: str | None = TenantOption,
    integration: str | None = typer.Option(None, "--integration", "-i", help="Name or id."),
    status: str = typer.Option("open", "--status", help="open, resolved, retried or all."),
    kind: str | None = typer.Option(None, "--kind", help="e.g. record_rejected, run_failed."),
    run: str | None = typer.Option(None, "--run", help="Only the events of this run."),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", min=1, max=MAX_LIMIT),
    cursor: str | None = typer.Option(None, "--cursor", help="Continue after a previous page."),
    as_json: bool = JsonOption,
) -> None:
    """Events, newest first (open ones unless --status says otherwise)."""
    rt = runtime()
    found = in_tenant(tenant, lambda s, tid: events.list_events(
        s, tid, integration=integration, status=status, kind=kind, run_id=run, limit=limit,
        cursor=cursor,
    ), rt=rt)
    rows = found.items
    emit(rows if as_json else [_short(r) for r in rows], COLUMNS, as_json=as_json,
         title=None if as_json else f"{status} events")
    if found.next_cursor:
        more = ["events", "list", "--tenant", tenant_name(rt, tenant), "--status", status]
        for flag, value in (("--integration", integration), ("--kind", kind), ("--run", run)):
            if value:
                more += [flag, value]
        suggest("more events", *more, "--limit", str(limit), "--cursor", found.next_cursor,
                on=console_err)


@app.command("show")
def show(
    event_id: str = typer.Argument(..., help="Event id (the short id of `events list` too)."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """One event, with the payload that was sent, pretty-printed."""
    row = in_tenant(tenant, lambda s, tid: events.show(s, tid, event_id))
    if as_json:
        emit_one(row, as_json=True)
        return
    payload = row.payload
    emit_one(row.model_dump(exclude={"payload"}), as_json=False)
    if payload is not None:
        console.print("payload:", style="bold")
        console.print(JSON(orjson.dumps(payload, default=str).decode()))


@app.command("resolve")
def resolve(
    event_ids: list[str] = _IDS, tenant: str | None = TenantOption, as_json: bool = JsonOption
) -> None:
    """Mark events resolved (dealt with); already resolved or retried ones stay as they are."""
    rows = in_tenant(tenant, lambda s, tid: events.resolve(s, tid, event_ids, "cli"))
    emit([_short(r) for r in rows] if not as_json else rows, COLUMNS, as_json=as_json)


@app.command("retry")
def retry(
    event_ids: list[str] = _IDS, tenant: str | None = TenantOption, as_json: bool = JsonOption
) -> None:
    """Retry events by their kind: records are resent in a run of their own (shown), rejected
    form posts replayed, dead outbox messages made pending again."""
    rt = runtime()
    tid = tenant_id(rt, tenant)
    done = anyio.run(functools.partial(retries.retry, rt, tid, event_ids, actor="cli"))
    if done.run_id is None:
        columns = ("post_id", "status", "id") if done.family == "form_posts" else ("id", "status")
        emit(done.items, columns, as_json=as_json, title=f"replayed {done.family.replace('_', ' ')}")
        return
    row = run_history.shown(rt.db, tid, done.run_id)
    summary(row, as_json=as_json, tenant=tenant_name(rt, tid))
    if row.status != "succeeded":
        raise typer.Exit(1)
