"""Sending stored posts to Salesforce: right after receipt, on replay, and after a crash.

Every send starts by claiming the post (`pending` -> `sending`, one conditional UPDATE), so
the hook, a replay and `resend_pending` never send one post twice at once. The mapping is
computed at send time from the stored values with the integration's current config, which is
what makes a replay after a mapping fix work. How a send ends:

- Salesforce created the record: `created`, with its id;
- the post or Salesforce's answer says the data is wrong (a required field missing, a value a
  transform or Salesforce refuses): `rejected` and an open `form_rejected` event carrying the
  code, fields and payload; replay it once the mapping (or the form) is fixed;
- Salesforce could not be asked (unreachable, busy, API limit, login failing): back to
  `pending`, resent later by `resend_pending` with a growing delay; after MAX_ATTEMPTS tries
  it is rejected like above, so nobody waits forever without an event;
- the create went out but its answer was lost: `unknown` and a `form_outcome_unknown` event,
  never resent automatically (a create is not idempotent); a person checks the org first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy import select

from forcebridge import log
from forcebridge.errors import (
    AuthorizationFailed,
    Conflict,
    ForcebridgeError,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from forcebridge.forms import posts
from forcebridge.forms.manage import form_integration
from forcebridge.forms.mapping import PreparedPost, prepare
from forcebridge.kinds.inbound_form import InboundFormConfig
from forcebridge.runtime import Runtime
from forcebridge.salesforce import (
    LimitExceeded,
    OutcomeUnknown,
    RetryableError,
    SalesforceClient,
    SalesforceError,
)
from forcebridge.services import integrations as integrations_service
from forcebridge.services import records
from forcebridge.store.form_posts import FormPost
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Event
from forcebridge.store.types import utcnow

MAX_ATTEMPTS = 20
RESEND_AFTER_SECONDS = 60.0  # a pending post younger than this may still be in its hook call
STALE_SENDING_SECONDS = 600.0  # a claim older than this belongs to a sender that died
_TRANSIENT = (AuthorizationFailed, TooManyRequests, Unavailable)

_logger = log.get("forms.sending")


@dataclass
class Outcome:
    """How one post stands after a send (or a send that could not start)."""

    post_id: str
    status: str
    salesforce_id: str | None = None
    object: str | None = None
    ignored: list[str] = field(default_factory=list)
    error_code: str | None = None
    message: str | None = None
    details: list[dict[str, Any]] = field(default_factory=list)
    attempted: bool = False  # whether this call sent it (or tried to)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "post_id": self.post_id, "status": self.status, "id": self.salesforce_id,
            "object": self.object, "ignored": self.ignored,
        }
        if self.error_code is not None or self.message is not None:
            body["error"] = {
                "code": self.error_code, "message": self.message, "details": self.details,
            }
        return body


@dataclass
class _Job:
    post_id: str
    tenant_id: str
    connection_id: str
    config: InboundFormConfig
    received: dict[str, Any]
    attempts: int


@dataclass
class _Result:
    status: str
    salesforce_id: str | None = None
    prepared: PreparedPost | None = None
    code: str | None = None
    message: str | None = None
    details: list[dict[str, Any]] = field(default_factory=list)


def _not_sendable(integration: Integration) -> str | None:
    if not integration.enabled:
        return "the integration is disabled; the post is sent once it is enabled"
    if integration.connection_id is None:
        return "the integration has no connection; the post is sent once one is attached"
    return None


def _outcome_of(post: FormPost, config: InboundFormConfig | None = None,
                message: str | None = None) -> Outcome:
    return Outcome(
        post.id, post.status, post.salesforce_id, config.object if config else None,
        list(post.ignored or []), message=message or post.error,
    )


def _claim(
    rt: Runtime, tenant_id: str, post_id: str, from_statuses: Sequence[str], actor: str | None
) -> _Job | Outcome:
    with rt.db.begin() as session:
        post = posts.get(session, tenant_id, post_id)
        integration = session.get(Integration, post.integration_id)
        assert integration is not None
        config = integrations_service.config_of(integration, rt.vault)
        assert isinstance(config, InboundFormConfig)
        waiting = _not_sendable(integration)
        if waiting is not None:
            if post.status == "pending":
                post.error = waiting
            return _outcome_of(post, config, waiting)
        if not posts.claim(session, post.id, from_statuses, replay=actor is not None):
            session.refresh(post)
            note = "already created; not sent again" if post.status == "created" else None
            return _outcome_of(post, config, note)
        if actor is not None:
            posts.mark_events_retried(session, post, actor)
        session.refresh(post)
        assert integration.connection_id is not None
        return _Job(post.id, tenant_id, integration.connection_id, config,
                    dict(post.received), post.attempts)


async def _deliver(rt: Runtime, job: _Job) -> _Result:
    object_name = job.config.namespace.apply(job.config.object)

    async def work(client: SalesforceClient) -> _Result:
        schema = await records.schema_of(client, object_name)
        prepared = prepare(job.config, schema, job.post_id, job.received)
        if prepared.problems:
            return _Result(
                "rejected", prepared=prepared, code="invalid_post",
                message="; ".join(f"{p.field}: {p.reason}" for p in prepared.problems),
                details=[{"field": p.field, "reason": p.reason} for p in prepared.problems],
            )
        try:
            record_id = await client.create(schema.name, prepared.payload)
        except OutcomeUnknown as exc:
            return _Result("unknown", prepared=prepared, code=exc.code,
                           message=f"{exc.message or exc.code} (the record may have been "
                                   "created: check the org before replaying)")
        except (RetryableError, LimitExceeded) as exc:
            return _Result("pending", prepared=prepared, code=exc.code,
                           message=exc.message or exc.code)
        except SalesforceError as exc:
            return _Result(
                "rejected", prepared=prepared, code=exc.code, message=exc.message or exc.code,
                details=[{"field": f, "reason": e.message, "code": e.code}
                         for e in exc.errors for f in (e.fields or ("",))],
            )
        return _Result("created", record_id, prepared)

    try:
        return await records.with_client(rt, job.tenant_id, job.connection_id, work)
    except records.SalesforceRejected as exc:
        if isinstance(exc, _TRANSIENT):  # cannot log in, busy, out of API calls
            return _Result("pending", code=exc.code, message=exc.message)
        return _Result("rejected", code=exc.code, message=exc.message, details=exc.details)
    except Conflict as exc:  # the connection cannot be used yet (never authorized)
        return _Result("pending", code=exc.code, message=exc.message)
    except NotFound as exc:  # the object (or the connection) is gone: the config needs fixing
        return _Result("rejected", code=exc.code, message=exc.message, details=exc.details)


def _finish(rt: Runtime, job: _Job, result: _Result) -> Outcome:
    status = result.status
    message = result.message
    if status == "pending" and job.attempts >= MAX_ATTEMPTS:
        status = "rejected"
        message = f"gave up after {job.attempts} attempts: {message}"
    ignored = result.prepared.ignored if result.prepared is not None else None
    with rt.db.begin() as session:
        post = posts.finish(
            session, job.post_id, status, salesforce_id=result.salesforce_id,
            error=None if status == "created" else message, ignored=ignored,
        )
        integration = session.get(Integration, post.integration_id)
        assert integration is not None
        if status in ("rejected", "unknown"):
            fields = [str(d.get("field")) for d in result.details if d.get("field")]
            posts.record_event(
                session, integration, post,
                kind="form_rejected" if status == "rejected" else "form_outcome_unknown",
                message=message or status, error_code=result.code,
                fields=list(dict.fromkeys(fields)),
                payload=result.prepared.payload if result.prepared is not None else None,
            )
        outcome = _outcome_of(post, job.config, message)
    outcome.error_code = result.code if status != "created" else None
    outcome.details = result.details
    outcome.attempted = True
    log.event(_logger, "form_post", post_id=job.post_id, status=status, code=result.code)
    return outcome


async def send(
    rt: Runtime, tenant_id: str, post_id: str, *,
    from_statuses: Sequence[str] = ("pending",), actor: str | None = None,
) -> Outcome:
    """Send one stored post if it is in `from_statuses` (and nobody else is sending it);
    otherwise answer how it stands. `actor` marks a replay: the post's open events become
    `retried`."""
    claimed = await anyio.to_thread.run_sync(_claim, rt, tenant_id, post_id, from_statuses, actor)
    if isinstance(claimed, Outcome):
        return claimed
    result = await _deliver(rt, claimed)
    return await anyio.to_thread.run_sync(_finish, rt, claimed, result)


async def replay(
    rt: Runtime, tenant_id: str, post_ids: Sequence[str], *, actor: str = "system"
) -> list[Outcome]:
    """Send these posts again with the current mapping, in the order given.

    Pending, rejected and unknown posts are sent; a created one is not sent twice (its
    outcome says so). An id that is not the tenant's is a 404 before anything is sent.
    """
    def check() -> None:
        with rt.db.begin() as session:
            for post_id in post_ids:
                posts.get(session, tenant_id, post_id)

    await anyio.to_thread.run_sync(check)
    outcomes = []
    for post_id in post_ids:
        outcomes.append(
            await send(rt, tenant_id, post_id, from_statuses=posts.REPLAYABLE, actor=actor)
        )
    return outcomes


async def replay_events(
    rt: Runtime, tenant_id: str, event_ids: Sequence[str], *, actor: str = "system"
) -> list[Outcome]:
    """Replay the posts behind form events (`form_rejected`, `form_outcome_unknown`): what a
    retry of such an event from the events API or CLI does."""
    def post_ids() -> list[str]:
        with rt.db.begin() as session:
            found = [session.get(Event, e) for e in event_ids]
            missing = [e for e, row in zip(event_ids, found, strict=True)
                       if row is None or row.tenant_id != tenant_id
                       or row.kind not in posts.EVENT_KINDS or not row.record_key]
            if missing:
                raise NotFound(
                    f"no form event {', '.join(missing)} in this tenant",
                    details=[{"field": "event_ids", "reason": f"not a form event: {e}"}
                             for e in missing],
                )
            return list(dict.fromkeys(row.record_key for row in found if row and row.record_key))

    return await replay(rt, tenant_id, await anyio.to_thread.run_sync(post_ids), actor=actor)


async def replay_rejected(
    rt: Runtime, tenant_id: str, ref: str, *, actor: str = "system"
) -> list[Outcome]:
    """Replay every rejected post of the integration, oldest first."""
    def ids() -> list[str]:
        with rt.db.begin() as session:
            return posts.rejected_ids(session, form_integration(session, tenant_id, ref))

    return await replay(rt, tenant_id, await anyio.to_thread.run_sync(ids), actor=actor)


def _due(rt: Runtime, older_than: float, limit: int) -> list[tuple[str, str]]:
    """(tenant, post) of pending posts whose retry delay has passed, oldest first; claims
    left by a dead sender become `unknown` (with an event) on the way."""
    now = utcnow()
    with rt.db.begin() as session:
        for post in posts.stale_sending(session, now - timedelta(seconds=STALE_SENDING_SECONDS)):
            post.status = "unknown"
            post.error = "the sender stopped while sending; the record may have been created"
            integration = session.get(Integration, post.integration_id)
            assert integration is not None
            posts.record_event(
                session, integration, post, kind="form_outcome_unknown", message=post.error,
                error_code="sender_stopped", fields=[], payload=None,
            )
        rows = session.execute(
            select(FormPost.id, FormPost.tenant_id, FormPost.attempts, FormPost.received_at,
                   FormPost.sent_at)
            .join(Integration, Integration.id == FormPost.integration_id)
            .where(FormPost.status == "pending", Integration.enabled.is_(True),
                   Integration.connection_id.is_not(None),
                   FormPost.received_at <= now - timedelta(seconds=older_than))
            .order_by(FormPost.received_at)
            .limit(limit * 4)
        ).all()
    due = []
    for post_id, tenant_id, attempts, received_at, sent_at in rows:
        delay = timedelta(seconds=older_than * 2 ** min(attempts, 6))
        if (sent_at or received_at) + delay <= now or attempts == 0:
            due.append((tenant_id, post_id))
    return due[:limit]


async def resend_pending(
    rt: Runtime, *, older_than: float = RESEND_AFTER_SECONDS, limit: int = 200
) -> int:
    """One pass over posts left `pending` (a crash between storing and sending, Salesforce
    unreachable, the integration disabled until now): sends each whose delay has passed.

    The scheduler calls it periodically; answers how many posts were sent (whatever the
    outcome). A post younger than `older_than` seconds is left to its own hook call.
    """
    due = await anyio.to_thread.run_sync(_due, rt, older_than, limit)
    sent = 0
    for tenant_id, post_id in due:
        try:
            outcome = await send(rt, tenant_id, post_id)
        except ForcebridgeError as exc:  # e.g. the config no longer parses
            _logger.warning("form post %s not resent: %s", post_id, exc.message)
            continue
        sent += outcome.attempted
    return sent
