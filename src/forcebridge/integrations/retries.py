"""Retrying events, whatever failed: one entry point for the events API and CLI.

An event names what failed, and each kind has its own way back: a record a run could not
write is resent in a retry run (`runs.retry_events`), a rejected form post is replayed with
the current mapping (`forms.sending.replay_events`), a dead outbox message becomes pending
again (`outbox.messages.replay_events`). One call retries events of one of these families.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from forcebridge.errors import InvalidInput
from forcebridge.forms import sending as form_sending
from forcebridge.forms.posts import EVENT_KINDS as FORM_EVENT_KINDS
from forcebridge.outbox import messages as outbox_messages
from forcebridge.runs import retry_events as retry_records
from forcebridge.runtime import Runtime
from forcebridge.services import events


@dataclass
class Retried:
    """What a retry did: a retry run (records), or replayed posts or outbox messages."""

    family: str  # "records", "form_posts" or "outbox"
    run_id: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)


def _family(kind: str) -> str:
    if kind in FORM_EVENT_KINDS:
        return "form_posts"
    if kind == outbox_messages.EVENT_KIND:
        return "outbox"
    return "records"


def _families(rt: Runtime, tenant_id: str, event_ids: list[str]) -> tuple[str, list[str]]:
    """The one family of these events and their full ids (a short id prefix names one too)."""
    with rt.db.session() as session:
        found = events.get_many(session, tenant_id, event_ids)
        kinds = {_family(e.kind) for e in found}
        full_ids = [e.id for e in found]
    if len(kinds) != 1:
        raise InvalidInput.field(
            "ids", "retry one family of events at a time: records, form posts or outbox messages"
        )
    return kinds.pop(), full_ids


async def retry(rt: Runtime, tenant_id: str, event_ids: list[str], *, actor: str) -> Retried:
    """Retry these events the way their kind allows."""
    family, ids = await anyio.to_thread.run_sync(_families, rt, tenant_id, event_ids)
    if family == "records":
        run_id = await retry_records(rt, tenant_id, ids, actor=actor)
        return Retried(family, run_id=run_id)
    if family == "form_posts":
        outcomes = await form_sending.replay_events(rt, tenant_id, ids, actor=actor)
        return Retried(family, items=[o.to_json() for o in outcomes])

    def replay_outbox() -> list[dict[str, Any]]:
        with rt.db.begin() as session:
            replayed = outbox_messages.replay_events(session, tenant_id, ids, actor=actor)
            return [m.model_dump() for m in replayed]

    return Retried(family, items=await anyio.to_thread.run_sync(replay_outbox))
