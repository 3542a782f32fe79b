"""Event publishing: the product hands events over; the outbox shows their delivery.

| method | path | scope | does |
|---|---|---|---|
| POST | /integrations/{ref}/events | events:write | store events (one or a list); 202 |
| GET | /integrations/{ref}/outbox | integrations:read | messages (`?status=&key=&after_id=&limit=`) |
| GET | /integrations/{ref}/outbox/{id} | integrations:read | one message |
| POST | /integrations/{ref}/outbox/replay | integrations:write | dead messages pending again |

202 means stored: the events are in the durable outbox (committed) before the answer is sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from forcebridge.api.auth import Principal, require_scope, runtime
from forcebridge.api.routes.models import NON_BLANK
from forcebridge.outbox import messages, publishing
from forcebridge.outbox.messages import MessageView
from forcebridge.runtime import Runtime

router = APIRouter(prefix="/integrations/{ref}", tags=["outbox"])

_publish = require_scope("events:write")
_read = require_scope("integrations:read")
_write = require_scope("integrations:write")

_EVENTS = Body(
    ...,
    description='One event or a list: {"key", "type", "payload": {...}, "idempotency_key"?}.',
    examples=[{"key": "account-42", "type": "balance.changed", "payload": {"balance": 12.5}}],
)


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NON_BLANK}


# The body's schema as `publishing.EventInput` checks it (that check names `events.<i>.<field>`
# in its errors, so the route reads the body as JSON and leaves the checking to it).
_EVENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "type"],
    "properties": {
        "key": {**_text(255), "description": "Events of one key are delivered in order."},
        "type": _text(200),
        "payload": {"type": "object"},
        "idempotency_key": {"anyOf": [_text(200), {"type": "null"}],
                            "description": "Publishing it again answers the first message."},
    },
}
_EVENTS_SCHEMA = {"requestBody": {"content": {"application/json": {"schema": {"anyOf": [
    _EVENT,
    {"type": "array", "items": _EVENT, "minItems": 1, "maxItems": publishing.MAX_EVENTS_PER_CALL},
]}}}}}


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(min_length=1, max_length=1000)


class StoredMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: int
    key: str
    idempotency_key: str
    status: str
    duplicate: bool = Field(description="Published before under this idempotency key.")


class Accepted(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    accepted: int
    messages: list[StoredMessage]


class Messages(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    messages: list[MessageView]


@router.post(
    "/events", status_code=202, response_model=Accepted, openapi_extra=_EVENTS_SCHEMA
)
def publish_events(
    ref: str,
    events: Any = _EVENTS,
    who: Principal = Depends(_publish),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Store events for delivery; answers their outbox ids and idempotency keys, in order.

    An event whose `idempotency_key` was published before answers the message stored then
    (`"duplicate": true`) and is not stored again."""
    parsed = publishing.parse_events(events)
    with rt.db.begin() as s:
        integration = messages.integration_for(s, who.tenant_id, ref)
        before = {m.idempotency_key for m in publishing.existing(s, integration, parsed)}
        stored = publishing.publish(s, integration, parsed)
        answer = []
        for m in stored:
            answer.append(
                {
                    "id": m.id,
                    "key": m.event_key,
                    "idempotency_key": m.idempotency_key,
                    "status": m.status,
                    "duplicate": m.idempotency_key in before,
                }
            )
            before.add(m.idempotency_key)
    return {"accepted": len(answer), "messages": answer}


@router.get("/outbox")
def list_outbox(
    ref: str,
    status: str | None = Query(default=None, description="pending, delivered or dead"),
    key: str | None = Query(default=None, description="Only this event key."),
    after_id: int | None = Query(default=None, description="Page on after this id."),
    limit: int = Query(default=100, ge=1, le=messages.MAX_LIST),
    who: Principal = Depends(_read),
    rt: Runtime = Depends(runtime),
) -> Messages:
    with rt.db.begin() as s:
        return Messages(messages=messages.list_messages(
            s, who.tenant_id, ref, status=status, key=key, limit=limit, after_id=after_id
        ))


@router.get("/outbox/{message_id}")
def get_message(
    ref: str, message_id: int, who: Principal = Depends(_read), rt: Runtime = Depends(runtime)
) -> MessageView:
    with rt.db.begin() as s:
        return messages.show(s, who.tenant_id, ref, message_id)


@router.post("/outbox/replay")
def replay_messages(
    ref: str,
    body: ReplayRequest,
    who: Principal = Depends(_write),
    rt: Runtime = Depends(runtime),
) -> Messages:
    """Dead messages become pending again with attempts reset; their open events `retried`."""
    with rt.db.begin() as s:
        return Messages(messages=messages.replay(
            s, who.tenant_id, body.ids, integration=ref, actor=who.actor
        ))
