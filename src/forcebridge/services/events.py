"""Events: every failure kept, with what a person needs to fix it, until someone does.

Every capability records its failures through `record` (a record Salesforce rejected, a run
that could not finish, a form post or a delivery given up on), so they all look alike in the
API, the CLI and the console. An event stays `open` until a person resolves it or a retry
resends its record (`retried`; a retry that fails again records a new event).

Payloads are the customer's own data and are shown as sent, so a person can see what was
wrong; values under secret-looking keys (password, token, secret...) and bearer tokens in
messages are masked on the way out, and messages are masked on the way in too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.errors import InvalidInput, NotFound
from forcebridge.services import audit
from forcebridge.services import integrations as integrations_service
from forcebridge.services.pages import DEFAULT_LIMIT, Page, find_by_id, newest_first, page
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import EVENT_STATUSES, Event
from forcebridge.store.types import new_id, utcnow

MAX_MESSAGE = 10_000
MAX_IDS = 1000


def _clip(value: str | None, length: int) -> str | None:
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= length else value[: length - 1] + "…"


def record(
    session: Session,
    *,
    integration: Integration,
    run_id: str | None,
    kind: str,
    message: str,
    record_key: str | None = None,
    error_code: str | None = None,
    fields: Sequence[str] | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Keep one failure, open. Added to `session`, so it commits with the caller's work.

    `kind` says what failed (e.g. `record_rejected`, `run_failed`); `payload` is what was sent
    (kept whole: a retry resends it). Over-long key, code and message are clipped rather than
    refused: losing the event would be worse than a shortened message.
    """
    cleaned_kind = (kind or "").strip()
    if not cleaned_kind or len(cleaned_kind) > 30:
        raise InvalidInput.field("kind", "must be 1 to 30 characters")
    event = Event(
        id=new_id(),
        tenant_id=integration.tenant_id,
        integration_id=integration.id,
        run_id=run_id,
        kind=cleaned_kind,
        status="open",
        record_key=_clip(record_key, 255),
        error_code=_clip(error_code, 100),
        message=_clip(log.redact(message or ""), MAX_MESSAGE) or "",
        fields=[str(f) for f in (fields or [])],
        payload=dict(payload) if payload is not None else None,
        created_at=utcnow(),
    )
    session.add(event)
    return event


def _status_filter(status: str | None) -> str | None:
    if status in (None, "", "all"):
        return None
    if status not in EVENT_STATUSES:
        raise InvalidInput.field("status", f"must be one of: {', '.join(EVENT_STATUSES)}, all")
    return status


def list_events(
    session: Session,
    tenant_id: str,
    *,
    integration: str | None = None,
    status: str | None = "open",
    kind: str | None = None,
    run_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[Event]:
    """The tenant's events, newest first; `integration` is a name or id, `status` None (or
    "all") for every status. Pass `next_cursor` back as `cursor` for the next page."""
    query = select(Event).where(Event.tenant_id == tenant_id)
    if integration:
        query = query.where(
            Event.integration_id == integrations_service.get(session, tenant_id, integration).id
        )
    wanted = _status_filter(status)
    if wanted:
        query = query.where(Event.status == wanted)
    if kind:
        query = query.where(Event.kind == kind.strip())
    if run_id:
        query = query.where(Event.run_id == run_id)
    query = newest_first(query, Event.created_at, Event.id, limit=limit, cursor=cursor)
    rows = list(session.scalars(query))
    return page(rows, limit, lambda e: (e.created_at, e.id))


def get(session: Session, tenant_id: str, event_id: str) -> Event:
    """One event of the tenant, by id or a unique id prefix (a table's short id); another
    tenant's event is not found, as if it did not exist."""
    event = find_by_id(session, Event, tenant_id, event_id)
    if not isinstance(event, Event):
        raise NotFound(f"event {event_id!r} not found")
    return event


def get_many(
    session: Session, tenant_id: str, event_ids: Sequence[str], field: str = "ids"
) -> list[Event]:
    """The events named, in the order given (duplicates once); all must exist in the tenant,
    so a typo refuses the whole request rather than acting on part of it."""
    if not event_ids:
        raise InvalidInput.field(field, "name at least one event")
    if len(event_ids) > MAX_IDS:
        raise InvalidInput.field(field, f"at most {MAX_IDS} events at once")
    found: dict[str, Event] = {}
    missing: list[dict[str, str]] = []
    for i, ref in enumerate(event_ids):
        event = find_by_id(session, Event, tenant_id, str(ref))
        if isinstance(event, Event):
            found.setdefault(event.id, event)
        else:
            missing.append({"field": f"{field}.{i}", "reason": f"no event {ref!r}"})
    if missing:
        names = ", ".join(d["reason"].removeprefix("no event ") for d in missing)
        raise NotFound(f"event{'s' if len(missing) > 1 else ''} not found: {names}",
                       details=missing)
    return list(found.values())


def resolve(
    session: Session, tenant_id: str, event_ids: Sequence[str], actor: str
) -> list[Event]:
    """Mark open events resolved (a person dealt with them). Events already resolved or
    retried are left as they are, so resolving twice is harmless."""
    events = get_many(session, tenant_id, event_ids)
    now = utcnow()
    changed = []
    for event in events:
        if event.status == "open":
            event.status = "resolved"
            event.resolved_at = now
            event.resolved_by = actor
            changed.append(event.id)
    if changed:
        audit.record(
            session, actor=actor, action="events.resolve", target_type="event",
            target_id=changed[0] if len(changed) == 1 else None, tenant_id=tenant_id,
            detail={"ids": changed},
        )
    return events


def public_view(event: Event, integration_name: str | None = None) -> dict[str, Any]:
    """What the API, CLI and console show: everything, the payload included, secrets masked."""
    return {
        "id": event.id,
        "integration_id": event.integration_id,
        "integration": integration_name,
        "run_id": event.run_id,
        "kind": event.kind,
        "status": event.status,
        "record_key": event.record_key,
        "error_code": event.error_code,
        "message": log.redact(event.message),
        "fields": list(event.fields or []),
        "payload": log.redact(event.payload) if event.payload is not None else None,
        "created_at": event.created_at,
        "resolved_at": event.resolved_at,
        "resolved_by": event.resolved_by,
    }


def views(session: Session, events: Sequence[Event]) -> list[dict[str, Any]]:
    """`public_view` of each event with its integration's name, in one query for all."""
    ids = {e.integration_id for e in events}
    names: dict[str, str] = {}
    if ids:
        query = select(Integration.id, Integration.name).where(Integration.id.in_(ids))
        names = {row.id: row.name for row in session.execute(query)}
    return [public_view(e, names.get(e.integration_id)) for e in events]
