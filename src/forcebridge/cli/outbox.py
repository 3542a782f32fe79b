"""`forcebridge outbox ...`: publish events and watch their delivery.

`forcebridge serve` delivers continuously; `outbox deliver` runs passes by hand (cron, CI, a
demo), `--until-empty` until nothing is pending (waiting out backoffs, up to `--timeout`).
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import typer

from forcebridge.cli.inputs import json_object
from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    console,
    emit,
    in_tenant,
    runtime,
    tenant_id,
)
from forcebridge.outbox import delivery, messages, publishing

app = typer.Typer(no_args_is_help=True)

_INTEGRATION = typer.Argument(..., help="Event-publishing integration, by name or id.")
_COLUMNS = ["id", "key", "type", "status", "attempts", "next_attempt_at", "last_error"]


@app.command("publish")
def publish(
    integration: str = _INTEGRATION,
    key: str = typer.Option(..., "--key", help="Event key; events of one key keep order."),
    event_type: str = typer.Option(..., "--type", help="Event type, e.g. balance.changed."),
    payload: str = typer.Option("{}", "--payload", help="The payload, a JSON object."),
    idempotency_key: str | None = typer.Option(
        None, "--idempotency-key", help="Publish once per key, however often this runs."
    ),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Store one event in the outbox (delivered by `serve` or `outbox deliver`)."""
    body = json_object(payload, "--payload")
    event: dict[str, Any] = {"key": key, "type": event_type, "payload": body}
    if idempotency_key is not None:
        event["idempotency_key"] = idempotency_key
    rt = runtime()
    tid = tenant_id(rt, tenant)
    with rt.db.begin() as s:
        target = messages.integration_for(s, tid, integration)
        (message,) = publishing.publish(s, target, [event])
        row = messages.public_view(message)
    emit([row], ["id", "key", "type", "idempotency_key", "status"], as_json=as_json)


@app.command("list")
def list_messages(
    integration: str = _INTEGRATION,
    status: str | None = typer.Option(None, "--status", help="pending, delivered or dead."),
    key: str | None = typer.Option(None, "--key", help="Only this event key."),
    limit: int = typer.Option(100, "--limit", help="At most this many (oldest first)."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """An integration's outbox messages, oldest first."""
    rows = in_tenant(tenant, lambda s, tid: messages.list_messages(s, tid, integration, status=status,
                                                            key=key, limit=limit))
    emit(rows, _COLUMNS, as_json=as_json, title=f"outbox of {integration}")


@app.command("replay")
def replay(
    ids: list[int] = typer.Argument(..., help="Outbox message ids (dead ones)."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Make dead messages pending again (attempts reset); they are delivered on the next pass."""
    rows = in_tenant(tenant, lambda s, tid: messages.replay(s, tid, ids, actor="cli"))
    emit(rows, _COLUMNS, as_json=as_json, title="replayed")


@app.command("deliver")
def deliver(
    until_empty: bool = typer.Option(
        False, "--until-empty", help="Repeat until nothing is pending (waits out backoffs)."
    ),
    timeout: float = typer.Option(300.0, "--timeout", help="Give up --until-empty after this."),
    as_json: bool = JsonOption,
) -> None:
    """Deliver the messages that are due, for every tenant."""
    rt = runtime()
    deadline = time.monotonic() + timeout
    total = anyio.run(delivery.deliver_due, rt)
    while until_empty and time.monotonic() < deadline:
        waiting = delivery.pending_count(rt)
        if not waiting:
            break
        delivered = anyio.run(delivery.deliver_due, rt)
        total += delivered
        if not delivered:
            time.sleep(0.5)
    pending = delivery.pending_count(rt)
    if as_json:
        typer.echo(json.dumps({"delivered": total, "pending": pending}))
    else:
        console.print(f"delivered {total} event(s); {pending} pending")
