"""Form posts in the store: kept before anything is sent, then moved through their states.

States: `pending` (stored, not sent yet, or sending failed in a way worth retrying),
`sending` (claimed by one sender: a conditional UPDATE, so a post is never sent twice at
once), `created` (Salesforce made the record; its id is kept), `rejected` (Salesforce or the
mapping refused it; an open event says why) and `unknown` (a create went out but its answer
was lost, so the record may exist: a person checks, then replays). `received` keeps every
posted value, ignored keys included, so a replay after a mapping change maps them anew.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forcebridge.errors import InvalidInput, NotFound
from forcebridge.services import events
from forcebridge.store.form_posts import FormPost
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Event
from forcebridge.store.types import utcnow

STATUSES = ("pending", "sending", "created", "rejected", "unknown")
REPLAYABLE = ("pending", "rejected", "unknown")
EVENT_KINDS = ("form_rejected", "form_outcome_unknown")
LIST_LIMIT = 1000


def store(
    session: Session, integration: Integration, received: dict[str, Any], ignored: list[str]
) -> FormPost:
    """Keep a post, `pending`, before anything is sent."""
    post = FormPost(
        tenant_id=integration.tenant_id, integration_id=integration.id, received=received,
        ignored=ignored, status="pending", attempts=0, received_at=utcnow(),
    )
    session.add(post)
    session.flush()
    return post


def get(
    session: Session, tenant_id: str, post_id: str, integration: Integration | None = None
) -> FormPost:
    """A post of the tenant (of `integration` when given); any other id is the same 404."""
    post = session.get(FormPost, post_id)
    if post is None or post.tenant_id != tenant_id or (
        integration is not None and post.integration_id != integration.id
    ):
        raise NotFound(
            f"form post {post_id!r} not found",
            details=[{"field": "post_id", "reason": f"no post {post_id} in this tenant"}],
        )
    return post


def list_posts(
    session: Session, integration: Integration, *, status: str | None = None,
    limit: int = 100,
) -> list[FormPost]:
    """The integration's posts, newest first, only those in `status` when given."""
    if status is not None and status not in STATUSES:
        raise InvalidInput.field("status", f"must be one of: {', '.join(STATUSES)}")
    if not 1 <= limit <= LIST_LIMIT:
        raise InvalidInput.field("limit", f"must be between 1 and {LIST_LIMIT}")
    query = select(FormPost).where(FormPost.integration_id == integration.id)
    if status is not None:
        query = query.where(FormPost.status == status)
    return list(session.scalars(query.order_by(FormPost.received_at.desc()).limit(limit)))


def rejected_ids(session: Session, integration: Integration) -> list[str]:
    """Every rejected post of the integration, oldest first (the order to replay them in)."""
    return list(session.scalars(
        select(FormPost.id)
        .where(FormPost.integration_id == integration.id, FormPost.status == "rejected")
        .order_by(FormPost.received_at)
    ))


def view(post: FormPost) -> dict[str, Any]:
    return {
        "id": post.id,
        "status": post.status,
        "salesforce_id": post.salesforce_id,
        "error": post.error,
        "attempts": post.attempts,
        "received": post.received,
        "ignored": post.ignored,
        "received_at": post.received_at,
        "sent_at": post.sent_at,
    }


def claim(
    session: Session, post_id: str, from_statuses: Sequence[str], *, replay: bool = False
) -> bool:
    """Move the post to `sending` if it is in one of `from_statuses`; True when this caller
    won it. One conditional UPDATE, so two senders can never both send a post. A replay (a
    person's request) starts the count of attempts afresh, as an outbox replay does."""
    attempts = 1 if replay else FormPost.attempts + 1
    result = session.execute(
        update(FormPost)
        .where(FormPost.id == post_id, FormPost.status.in_(list(from_statuses)))
        .values(status="sending", attempts=attempts, sent_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def finish(
    session: Session, post_id: str, status: str, *, salesforce_id: str | None = None,
    error: str | None = None, ignored: list[str] | None = None,
) -> FormPost:
    """Record how a send ended."""
    post = session.get(FormPost, post_id, populate_existing=True)
    assert post is not None
    post.status = status
    post.salesforce_id = salesforce_id
    post.error = error
    if ignored is not None:
        post.ignored = ignored
    return post


def stale_sending(session: Session, before: datetime) -> list[FormPost]:
    """Posts claimed before `before` and never finished: their sender died mid-send."""
    return list(session.scalars(
        select(FormPost).where(FormPost.status == "sending", FormPost.sent_at < before)
    ))


def record_event(
    session: Session, integration: Integration, post: FormPost, *, kind: str, message: str,
    error_code: str | None, fields: list[str], payload: dict[str, Any] | None,
) -> Event:
    """An open event for a post a person has to look at, carrying what was received and what
    was (or would have been) sent."""
    data: dict[str, Any] = {
        "received": post.received, "sent": payload, "post_id": post.id,
    }
    return events.record(
        session, integration=integration, run_id=None, kind=kind, message=message,
        record_key=post.id, error_code=error_code, fields=fields, payload=data,
    )


def mark_events_retried(session: Session, post: FormPost, actor: str) -> int:
    """The post's open events become `retried` when it is replayed."""
    result = session.execute(
        update(Event)
        .where(
            Event.integration_id == post.integration_id, Event.record_key == post.id,
            Event.kind.in_(EVENT_KINDS), Event.status == "open",
        )
        .values(status="retried", resolved_at=utcnow(), resolved_by=actor)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
