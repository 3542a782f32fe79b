"""Handing events over: stored in the durable outbox before the product hears "accepted".

Every event gets the idempotency key the receiver deduplicates by. A key the product gives is
scoped to the integration: the stored key is derived from (integration, given key), so the same
product key published twice is stored once, while two tenants that happen to use the same key
never meet (the column is unique across the table). Without a product key, a random one is made
and repeating the call publishes the event again.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.errors import InvalidInput
from forcebridge.store.integrations import Integration
from forcebridge.store.outbox import OutboxMessage
from forcebridge.store.types import utcnow

KIND = "event_publish"
MAX_EVENTS_PER_CALL = 1000

_logger = log.get("outbox")


class EventInput(BaseModel):
    """One event as the product sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(min_length=1, max_length=255, description="Events of one key keep order.")
    type: str = Field(min_length=1, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


def stored_idempotency_key(integration_id: str, given: str | None) -> str:
    """The key delivered with the event: stable for a product key, random otherwise."""
    if given is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{integration_id}\n{given}".encode()).hexdigest()[:40]


def parse_events(events: Any) -> list[EventInput]:
    """A list of events (or one), each checked; problems name `events.<i>.<field>`."""
    items = events if isinstance(events, list) else [events]
    if not items:
        raise InvalidInput.field("events", "give at least one event")
    if len(items) > MAX_EVENTS_PER_CALL:
        raise InvalidInput.field("events", f"at most {MAX_EVENTS_PER_CALL} events per call")
    parsed: list[EventInput] = []
    details: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            details.append({"field": f"events.{i}", "reason": "must be an object"})
            continue
        try:
            parsed.append(EventInput.model_validate(item))
        except pydantic.ValidationError as exc:
            bad = InvalidInput.from_pydantic(exc)
            details += [{**d, "field": f"events.{i}.{d['field']}"} for d in bad.details]
    if details:
        raise InvalidInput.from_details(details)
    return parsed


def publish(
    session: Session, integration: Integration, events: list[dict[str, Any]] | list[EventInput]
) -> list[OutboxMessage]:
    """Store `events` in the outbox (flushed in the caller's transaction), in the given order.

    Returns one message per event; an event whose idempotency key was already stored for this
    integration returns the message stored first, and is not stored again. The messages are
    delivered once the caller's transaction commits, whatever happens to this process after.
    """
    if integration.kind != KIND:
        raise InvalidInput.field(
            "integration",
            f"{integration.name!r} is an {integration.kind} integration; events are published "
            "to event_publish integrations",
        )
    if all(isinstance(e, EventInput) for e in events):
        inputs = [e for e in events if isinstance(e, EventInput)]
    else:
        inputs = parse_events(list(events))
    keys = [stored_idempotency_key(integration.id, e.idempotency_key) for e in inputs]
    found = _existing(session, keys)
    fresh: dict[str, OutboxMessage] = {}
    for event, key in zip(inputs, keys, strict=True):
        if key not in found and key not in fresh:
            fresh[key] = _message(integration, event, key)
    if fresh:
        try:  # all in one flush; a concurrent publish of one of the keys makes us go one by one
            with session.begin_nested():
                session.add_all(fresh.values())
                session.flush()
        except IntegrityError:
            for key, message in fresh.items():
                fresh[key] = _insert(session, integration, message)
    found |= fresh
    out = [found[key] for key in keys]
    log.event(_logger, "events accepted", integration_id=integration.id, events=len(out))
    return out


def existing(
    session: Session, integration: Integration, events: list[EventInput]
) -> list[OutboxMessage]:
    """The messages already stored for those of `events` that carry an idempotency key."""
    keys = [
        stored_idempotency_key(integration.id, e.idempotency_key)
        for e in events
        if e.idempotency_key is not None
    ]
    return list(_existing(session, keys).values()) if keys else []


def _existing(session: Session, keys: list[str]) -> dict[str, OutboxMessage]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.in_(keys)))
    return {m.idempotency_key: m for m in rows}


def _message(integration: Integration, event: EventInput, key: str) -> OutboxMessage:
    return OutboxMessage(
        tenant_id=integration.tenant_id,
        integration_id=integration.id,
        event_key=event.key,
        idempotency_key=key,
        event_type=event.type,
        payload=event.payload,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )


def _insert(session: Session, integration: Integration, message: OutboxMessage) -> OutboxMessage:
    """Insert under a savepoint: a concurrent publish of the same key wins, and we answer its row."""
    fresh = _message_copy(message)
    try:
        with session.begin_nested():
            session.add(fresh)
            session.flush()
    except IntegrityError:
        key = message.idempotency_key
        winner = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        if winner is None or winner.integration_id != integration.id:
            raise
        return winner
    return fresh


def _message_copy(message: OutboxMessage) -> OutboxMessage:
    """A new transient row with `message`'s values (the failed flush left it unusable)."""
    return OutboxMessage(
        tenant_id=message.tenant_id,
        integration_id=message.integration_id,
        event_key=message.event_key,
        idempotency_key=message.idempotency_key,
        event_type=message.event_type,
        payload=message.payload,
        status="pending",
        attempts=0,
        next_attempt_at=message.next_attempt_at,
    )
