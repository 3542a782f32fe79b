"""Events: every failure kept, with what a person needs to fix it, until someone does.

Every capability records its failures through `record` (a record Salesforce rejected, a run
that could not finish, a form post or a delivery given up on), so they all look alike in the
API, the CLI and the console. An event stays `open` until a person resolves it or a retry
resends its record (`retried`; a retry that fails again records a new event).

A record of an entity sync that fails again for the same reason while its event is open is
the same problem seen again: the open event counts it (`occurrences`, `last_seen_at`, the
last run, and the latest message and payload, which a retry resends) instead of a new event
piling up every run. Once resolved or retried, the next failure opens a new event.

Payloads are the customer's own data and are shown as sent, so a person can see what was
wrong; values under secret-looking keys (password, token, secret...) and bearer tokens in
messages are masked on the way out, and messages are masked on the way in too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.errors import InvalidInput, NotFound
from forcebridge.services import audit
from forcebridge.services import integrations as integrations_service
from forcebridge.services.pages import DEFAULT_LIMIT, find_by_id, newest_first, page
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import EVENT_STATUSES, RECORD_EVENT_KINDS, Event
from forcebridge.store.types import new_id, utcnow

MAX_MESSAGE = 10_000
MAX_IDS = 1000


def _clip(value: str | None, length: int) -> str | None:
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= length else value[: length - 1] + "…"


@dataclass(frozen=True)
class EventInput:
    """One failure to keep, as `record_many` takes it."""

    kind: str
    message: str
    record_key: str | None = None
    error_code: str | None = None
    fields: Sequence[str] = field(default_factory=list)
    payload: dict[str, Any] | None = None


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
    refused: losing the event would be worse than a shortened message. A record event that
    repeats an open one is counted on it (see the module) and that event is returned.
    """
    failure = EventInput(kind, message, record_key, error_code, list(fields or []), payload)
    return record_many(session, integration=integration, run_id=run_id, failures=[failure])[0]


_LOOKUP_CHUNK = 500


def record_many(
    session: Session, *, integration: Integration, run_id: str | None,
    failures: Sequence[EventInput],
) -> list[Event]:
    """`record` for many failures of one integration (a chunk's rejections), looking up the
    open events they may repeat in a few queries rather than one per record."""
    now = utcnow()
    cleaned = [_cleaned(f) for f in failures]
    open_events = _open_record_events(
        session, integration.id, {(f.kind, f.record_key) for f in cleaned if _folds(f)}
    )
    kept: list[Event] = []
    for f in cleaned:
        identity = (f.kind, f.record_key, f.error_code)
        seen = open_events.get(identity) if _folds(f) else None
        if seen is not None and _seen_again(session, seen, f, run_id, now):
            kept.append(seen)
            continue
        event = Event(
            id=new_id(), tenant_id=integration.tenant_id, integration_id=integration.id,
            run_id=run_id, last_run_id=run_id, kind=f.kind, status="open",
            record_key=f.record_key, error_code=f.error_code, message=f.message,
            fields=list(f.fields), payload=f.payload, created_at=now, last_seen_at=now,
            occurrences=1,
        )
        session.add(event)
        if _folds(f):
            open_events[identity] = event
        kept.append(event)
    return kept


def _cleaned(f: EventInput) -> EventInput:
    kind = (f.kind or "").strip()
    if not kind or len(kind) > 30:
        raise InvalidInput.field("kind", "must be 1 to 30 characters")
    return EventInput(
        kind=kind,
        message=_clip(log.redact(f.message or ""), MAX_MESSAGE) or "",
        record_key=_clip(f.record_key, 255),
        error_code=_clip(f.error_code, 100),
        fields=[str(x) for x in f.fields],
        payload=dict(f.payload) if f.payload is not None else None,
    )


def _folds(f: EventInput) -> bool:
    return f.kind in RECORD_EVENT_KINDS and f.record_key is not None


def _open_record_events(
    session: Session, integration_id: str, wanted: set[tuple[str, str | None]]
) -> dict[tuple[str, str | None, str | None], Event]:
    if not wanted:
        return {}
    keys = sorted({key for _, key in wanted if key is not None})
    kinds = sorted({kind for kind, _ in wanted})
    found: dict[tuple[str, str | None, str | None], Event] = {}
    for at in range(0, len(keys), _LOOKUP_CHUNK):
        query = select(Event).where(
            Event.integration_id == integration_id, Event.status == "open",
            Event.kind.in_(kinds), Event.record_key.in_(keys[at : at + _LOOKUP_CHUNK]),
        )
        for event in session.scalars(query):
            found[(event.kind, event.record_key, event.error_code)] = event
    return found


def _seen_again(
    session: Session, event: Event, f: EventInput, run_id: str | None, now: datetime
) -> bool:
    """Count a repeat on `event`, unless someone resolved it meanwhile (then: a new event)."""
    counted = session.execute(
        update(Event).where(Event.id == event.id, Event.status == "open").values(
            occurrences=Event.occurrences + 1, last_seen_at=now, last_run_id=run_id,
            message=f.message, fields=list(f.fields), payload=f.payload,
        ).execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.expire(event)
    return True


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
) -> EventPage:
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
    if run_id:  # the run that opened it or saw it last
        query = query.where(or_(Event.run_id == run_id, Event.last_run_id == run_id))
    query = newest_first(query, Event.created_at, Event.id, limit=limit, cursor=cursor)
    found = page(list(session.scalars(query)), limit, lambda e: (e.created_at, e.id))
    return EventPage(items=views(session, found.items), next_cursor=found.next_cursor)


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
) -> list[EventView]:
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
    return views(session, events)


class EventView(BaseModel):
    """An event as every face shows it: everything, the payload included, secrets masked."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: str
    integration_id: str
    integration: str | None
    run_id: str | None
    kind: str = Field(description="e.g. record_rejected, run_failed, delivery_failed.")
    status: str = Field(description="open, resolved or retried.")
    record_key: str | None
    error_code: str | None
    message: str | None
    fields: list[str]
    payload: Any = Field(description="What could not be written, secret-looking values masked.")
    created_at: datetime
    occurrences: int
    last_seen_at: datetime | None
    last_run_id: str | None
    resolved_at: datetime | None
    resolved_by: str | None


class EventPage(BaseModel):
    """One page of events, newest first; `next_cursor` is null on the last page."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    items: list[EventView]
    next_cursor: str | None


class EventList(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    items: list[EventView]


def public_view(event: Event, integration_name: str | None = None) -> EventView:
    """What the API, CLI and console show: everything, the payload included, secrets masked."""
    return EventView(
        id=event.id,
        integration_id=event.integration_id,
        integration=integration_name,
        run_id=event.run_id,
        kind=event.kind,
        status=event.status,
        record_key=event.record_key,
        error_code=event.error_code,
        message=log.redact(event.message),
        fields=list(event.fields or []),
        payload=log.redact(event.payload) if event.payload is not None else None,
        created_at=event.created_at,
        occurrences=event.occurrences,
        last_seen_at=event.last_seen_at,
        last_run_id=event.last_run_id,
        resolved_at=event.resolved_at,
        resolved_by=event.resolved_by,
    )


def views(session: Session, events: Sequence[Event]) -> list[EventView]:
    """`public_view` of each event with its integration's name, in one query for all."""
    ids = {e.integration_id for e in events}
    names: dict[str, str] = {}
    if ids:
        query = select(Integration.id, Integration.name).where(Integration.id.in_(ids))
        names = {row.id: row.name for row in session.execute(query)}
    return [public_view(e, names.get(e.integration_id)) for e in events]


def show(session: Session, tenant_id: str, event_id: str) -> EventView:
    """One event of the tenant (id or unique id prefix), as every face shows it."""
    return views(session, [get(session, tenant_id, event_id)])[0]

