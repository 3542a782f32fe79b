"""The outbox as people see it: listing messages, dead-lettering, and replaying the dead.

A message that cannot be delivered becomes `dead` and an open event (kind `delivery_failed`)
with the outbox id, idempotency key and payload, so it shows up wherever failures are watched.
Replaying makes the message pending again with its attempts reset, and marks its open events
`retried`. A dead message does not hold back later messages of its key (they were allowed to
pass it), so a replayed message arrives after them: replay restores the event, not the order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.errors import InvalidInput, NotFound
from forcebridge.services import events
from forcebridge.services import integrations as integrations_service
from forcebridge.store.integrations import Integration
from forcebridge.store.outbox import OutboxMessage
from forcebridge.store.runs import Event
from forcebridge.store.types import utcnow

STATUSES = ("pending", "delivered", "dead")
EVENT_KIND = "delivery_failed"
MAX_LIST = 1000

_logger = log.get("outbox")


class MessageView(BaseModel):
    """An outbox message as every face shows it."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: int
    integration_id: str
    key: str = Field(description="The event key; messages of one key are delivered in order.")
    type: str
    idempotency_key: str
    status: str = Field(description="pending, delivered or dead.")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: Any


def public_view(message: OutboxMessage) -> MessageView:
    """A message as every face shows it (`next_attempt_at` only while it is pending)."""
    return MessageView.model_validate({
        "id": message.id,
        "integration_id": message.integration_id,
        "key": message.event_key,
        "type": message.event_type,
        "idempotency_key": message.idempotency_key,
        "status": message.status,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at if message.status == "pending" else None,
        "last_error": message.last_error,
        "created_at": message.created_at,
        "delivered_at": message.delivered_at,
        "payload": message.payload,
    })


def list_messages(
    session: Session,
    tenant_id: str,
    ref: str,
    *,
    status: str | None = None,
    key: str | None = None,
    limit: int = 100,
    after_id: int | None = None,
) -> list[MessageView]:
    """An integration's messages in outbox order (oldest first), `after_id` to page on."""
    integration = integrations_service.get(session, tenant_id, ref)
    if status is not None and status not in STATUSES:
        raise InvalidInput.field("status", f"must be one of: {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_LIST}")
    query = select(OutboxMessage).where(OutboxMessage.integration_id == integration.id)
    if status:
        query = query.where(OutboxMessage.status == status)
    if key is not None:
        query = query.where(OutboxMessage.event_key == key)
    if after_id is not None:
        query = query.where(OutboxMessage.id > after_id)
    return [public_view(m) for m in session.scalars(query.order_by(OutboxMessage.id).limit(limit))]


def status_counts(session: Session, tenant_id: str, ref: str) -> dict[str, int]:
    """How many of the integration's messages are pending (its depth), delivered and dead."""
    integration = integrations_service.get(session, tenant_id, ref)
    query = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.integration_id == integration.id)
        .group_by(OutboxMessage.status)
    )
    found = {status: 0 for status in STATUSES}
    found.update({str(status): int(n) for status, n in session.execute(query)})
    return found


def get(session: Session, tenant_id: str, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.tenant_id != tenant_id:
        raise NotFound(
            f"outbox message {message_id} not found",
            details=[{"field": "id", "reason": f"no message {message_id} in this tenant"}],
        )
    return message


def of_integration(
    session: Session, tenant_id: str, integration: Integration, message_id: int
) -> OutboxMessage:
    """A message of the tenant that `integration` published; another one is not found."""
    message = get(session, tenant_id, message_id)
    if message.integration_id != integration.id:
        raise NotFound(f"outbox message {message_id} not found in {integration.name!r}")
    return message


def show(session: Session, tenant_id: str, ref: str, message_id: int) -> MessageView:
    """One message of the integration `ref` (name or id), as every face shows it."""
    integration = integration_for(session, tenant_id, ref)
    return public_view(of_integration(session, tenant_id, integration, message_id))


def replay(
    session: Session,
    tenant_id: str,
    message_ids: list[int],
    *,
    integration: str | None = None,
    actor: str = "system",
    now: datetime | None = None,
) -> list[MessageView]:
    """Make dead messages pending again (attempts reset); their open events become `retried`.
    With `integration` (name or id), every message must be one it published."""
    if not message_ids:
        raise InvalidInput.field("ids", "give at least one outbox message id")
    if integration is not None:
        publisher = integration_for(session, tenant_id, integration)
        for mid in message_ids:
            of_integration(session, tenant_id, publisher, mid)
    moment = now or utcnow()
    positions = {mid: i for i, mid in reversed(list(enumerate(message_ids)))}
    messages = [get(session, tenant_id, mid) for mid in positions]
    not_dead = [m for m in messages if m.status != "dead"]
    if not_dead:
        details = [
            {
                "field": f"ids.{positions[m.id]}",
                "reason": f"message {m.id} is {m.status}; only dead messages are replayed",
            }
            for m in not_dead
        ]
        raise InvalidInput("; ".join(d["reason"] for d in details), details=details)
    for message in messages:
        message.status = "pending"
        message.attempts = 0
        message.next_attempt_at = moment
        message.last_error = None
        for event in _open_events(session, message):
            event.status = "retried"
            event.resolved_at = moment
            event.resolved_by = actor
        log.event(
            _logger,
            "outbox message replayed",
            message_id=message.id,
            integration_id=message.integration_id,
            actor=actor,
        )
    session.flush()
    return [public_view(m) for m in messages]


def replay_events(
    session: Session, tenant_id: str, event_ids: list[str], *, actor: str = "system"
) -> list[MessageView]:
    """Replay the messages behind `delivery_failed` events (for the events service's retry)."""
    ids: list[int] = []
    for event_id in event_ids:
        event = session.get(Event, event_id)
        if event is None or event.tenant_id != tenant_id:
            raise NotFound(f"event {event_id!r} not found")
        outbox_id = (event.payload or {}).get("outbox_id")
        if event.kind != EVENT_KIND or not isinstance(outbox_id, int):
            raise InvalidInput.field(
                "event_ids", f"event {event_id} is not an outbox delivery failure"
            )
        ids.append(outbox_id)
    return replay(session, tenant_id, ids, actor=actor)


def _open_events(session: Session, message: OutboxMessage) -> list[Event]:
    candidates = session.scalars(
        select(Event).where(
            Event.integration_id == message.integration_id,
            Event.kind == EVENT_KIND,
            Event.status == "open",
            Event.record_key == message.event_key[:255],
        )
    )
    return [e for e in candidates if (e.payload or {}).get("outbox_id") == message.id]


def dead_letter(
    session: Session, message: OutboxMessage, *, code: str, reason: str, now: datetime
) -> Event:
    """Mark `message` dead and open the event that says why (through the events service, so
    listing, resolving and retrying treat it like any other failure)."""
    message.status = "dead"
    message.last_error = f"{code}: {reason}"[:4000]
    integration = session.get(Integration, message.integration_id)
    assert integration is not None
    text = (
        f"event {message.id} (key {message.event_key!r}) was not delivered after "
        f"{message.attempts} attempt(s): {code}: {reason}"
    )
    payload = {
        "outbox_id": message.id,
        "idempotency_key": message.idempotency_key,
        "type": message.event_type,
        "payload": message.payload,
        "attempts": message.attempts,
    }
    event = events.record(
        session,
        integration=integration,
        run_id=None,
        kind=EVENT_KIND,
        message=text,
        record_key=message.event_key,
        error_code=code,
        payload=payload,
    )
    log.event(
        _logger,
        "outbox message dead-lettered",
        message_id=message.id,
        integration_id=message.integration_id,
        error_code=code,
        attempts=message.attempts,
    )
    return event


def integration_for(session: Session, tenant_id: str, ref: str) -> Integration:
    """An event-publishing integration of the tenant, by name or id."""
    integration = integrations_service.get(session, tenant_id, ref)
    if integration.kind != "event_publish":
        raise InvalidInput.field(
            "integration", f"{integration.name!r} is not an event_publish integration"
        )
    return integration
