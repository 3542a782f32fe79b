"""Sending claimed messages to their target, and sorting each outcome by what to do next.

Apex REST: one POST per event, the body `{"id", "key", "type", "idempotency_key", "payload",
"created_at", "attempt"}` and the idempotency key also in a header (`Idempotency-Key` by
default), so the Apex class can deduplicate from either. With `apex_list` the endpoint takes
`{"events": [<that body>, ...]}` and the whole call succeeds or fails together.

Platform events: up to `batch_size` events per sObject Collections create (≤200), each event
a record whose fields the configuration names; every record succeeds or fails on its own.

Outcomes: `delivered`; `retry` (transient: RetryableError, any 5xx, a dropped connection, a
row lock); `dead` (the receiver refused the event itself: a 4xx, a record error); `hold` (the
connection cannot be used right now: login refused, daily API limit spent), which gives the
attempt back because the event was never the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from forcebridge.kinds.event_publish import APEX_PREFIX, EventPublishConfig
from forcebridge.salesforce import (
    AuthenticationError,
    CredentialsError,
    LimitExceeded,
    RetryableError,
    SalesforceClient,
    SalesforceError,
    SaveResult,
)

OutcomeKind = Literal["delivered", "retry", "dead", "hold"]


@dataclass(frozen=True)
class Claimed:
    """A message this process claimed, detached from the database session."""

    id: int
    key: str
    type: str | None
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    message_id: int
    kind: OutcomeKind
    code: str = ""
    reason: str = ""


def apex_body(message: Claimed) -> dict[str, Any]:
    return {
        "id": message.id,
        "key": message.key,
        "type": message.type,
        "idempotency_key": message.idempotency_key,
        "payload": message.payload,
        "created_at": message.created_at.isoformat(),
        "attempt": message.attempts,
    }


def event_record(config: EventPublishConfig, message: Claimed) -> dict[str, Any]:
    """The platform event record for `message` under the configured field names."""
    record: dict[str, Any] = {}
    for field_name, payload_key in config.payload_fields.items():
        if payload_key in message.payload:
            record[field_name] = message.payload[payload_key]
    if config.type_field:
        record[config.type_field] = message.type
    if config.key_field:
        record[config.key_field] = message.key
    if config.idempotency_field:
        record[config.idempotency_field] = message.idempotency_key
    if config.payload_field:
        record[config.payload_field] = json.dumps(message.payload, separators=(",", ":"))
    return record


async def send(
    client: SalesforceClient, config: EventPublishConfig, messages: list[Claimed]
) -> list[Outcome]:
    """Deliver `messages` (one call's worth) and answer one outcome per message."""
    try:
        if config.target_kind == "platform_event":
            results = await client.create_many(
                config.target, [event_record(config, m) for m in messages]
            )
            return [_from_result(m, r) for m, r in zip(messages, results, strict=True)]
        if config.apex_list:
            await _post_apex(client, config, {"events": [apex_body(m) for m in messages]}, None)
        else:
            (message,) = messages
            await _post_apex(
                client,
                config,
                apex_body(message),
                {config.idempotency_header: message.idempotency_key},
            )
        return [Outcome(m.id, "delivered") for m in messages]
    except SalesforceError as exc:
        kind = classify(exc)
        return [Outcome(m.id, kind, exc.code, exc.message or exc.code) for m in messages]
    except CredentialsError as exc:
        return [Outcome(m.id, "hold", "CREDENTIALS", str(exc)) for m in messages]


async def _post_apex(
    client: SalesforceClient,
    config: EventPublishConfig,
    body: dict[str, Any],
    headers: dict[str, str] | None,
) -> None:
    # client.request, not client.apex: the idempotency key travels in a header as well. The key
    # makes a repeat harmless, hence idempotent=True (a lost answer is retried, not doubted).
    await client.request(
        "POST", APEX_PREFIX + config.apex_path, json=body, headers=headers, idempotent=True
    )


def classify(exc: SalesforceError) -> OutcomeKind:
    if isinstance(exc, AuthenticationError | LimitExceeded):
        return "hold"
    if isinstance(exc, RetryableError) or (exc.status is not None and exc.status >= 500):
        return "retry"
    return "dead"


def _from_result(message: Claimed, result: SaveResult) -> Outcome:
    if result.success:
        return Outcome(message.id, "delivered")
    first = result.errors[0] if result.errors else None
    code = first.code if first else "UNKNOWN_ERROR"
    reason = first.message if first else "the event was not published"
    if first is not None and first.fields:
        reason = f"{reason} (fields: {', '.join(first.fields)})"
    return Outcome(message.id, "retry" if result.retryable else "dead", code, reason)
