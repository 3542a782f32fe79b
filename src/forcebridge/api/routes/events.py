"""Events: every failure kept until resolved, listed, shown, resolved and retried.

Reading needs `integrations:read`, resolving and retrying `integrations:write` (an API key
has both); another tenant's event is 404 like a missing one.
"""

from __future__ import annotations

from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from forcebridge.api.auth import Principal, require_scope, runtime
from forcebridge.api.routes.models import EventStatus
from forcebridge.integrations import retries
from forcebridge.runtime import Runtime
from forcebridge.services import events
from forcebridge.services import runs as run_history
from forcebridge.services.events import MAX_IDS, EventList, EventPage, EventView
from forcebridge.services.pages import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT
from forcebridge.services.runs import RunView

router = APIRouter(prefix="/events", tags=["events"])

_read = require_scope("integrations:read")
_write = require_scope("integrations:write")


class EventIds(BaseModel):
    """Events to act on, by id."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(min_length=1, max_length=MAX_IDS)


class RetriedItems(BaseModel):
    """Form posts replayed, or outbox messages made pending again."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    family: Literal["form_posts", "outbox"]
    items: list[dict[str, Any]]


@router.get("", response_model=EventPage)
def list_events(
    integration: str | None = Query(default=None, description="Integration name or id."),
    status: EventStatus = Query(default="open", description="open, resolved, retried or all."),
    kind: str | None = Query(default=None, description="e.g. record_rejected, run_failed."),
    run: str | None = Query(default=None, description="Only the events of this run."),
    limit: int = Query(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(default=None, pattern=CURSOR_PATTERN,
                               description="`next_cursor` of the previous page."),
    who: Principal = Depends(_read),
    rt: Runtime = Depends(runtime),
) -> EventPage:
    """Newest first, open ones by default; follow `next_cursor` for older ones."""
    with rt.db.begin() as s:
        return events.list_events(s, who.tenant_id, integration=integration, status=status,
                              kind=kind, run_id=run, limit=limit, cursor=cursor)


@router.post("/resolve", response_model=EventList)
def resolve_events(
    body: EventIds, who: Principal = Depends(_write), rt: Runtime = Depends(runtime)
) -> EventList:
    """Resolve several events at once; all must exist, or none is resolved."""
    with rt.db.begin() as s:
        return EventList(items=events.resolve(s, who.tenant_id, body.ids, who.actor))


@router.post("/retry")
async def retry_events(
    body: EventIds, who: Principal = Depends(_write), rt: Runtime = Depends(runtime)
) -> RunView | RetriedItems:
    """Retry events by their kind. Records a run could not write are resent in a run of their
    own (trigger `retry`) and the answer is that run once it ended; rejected form posts are
    replayed and dead outbox messages made pending again, answered as `{"family", "items"}`.
    Events it could not write are recorded anew."""
    done = await retries.retry(rt, who.tenant_id, body.ids, actor=who.actor)
    if done.run_id is None:
        return RetriedItems(family=done.family, items=done.items)
    return await anyio.to_thread.run_sync(run_history.shown, rt.db, who.tenant_id, done.run_id)


@router.get("/{event_id}", response_model=EventView)
def get_event(
    event_id: str, who: Principal = Depends(_read), rt: Runtime = Depends(runtime)
) -> EventView:
    """One event with its payload (secret-looking values masked)."""
    with rt.db.begin() as s:
        return events.show(s, who.tenant_id, event_id)


@router.post("/{event_id}/resolve", response_model=EventView)
def resolve_event(
    event_id: str, who: Principal = Depends(_write), rt: Runtime = Depends(runtime)
) -> EventView:
    with rt.db.begin() as s:
        event = events.get(s, who.tenant_id, event_id)
        return events.resolve(s, who.tenant_id, [event.id], who.actor)[0]
