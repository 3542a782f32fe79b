"""Delivering the outbox: claim the messages that are due, send them, record what happened.

Order per key: only the oldest pending message of a key (its *head*) can be claimed, checked in
the claiming UPDATE itself, so a later message of a key waits while an earlier one is pending
(in flight, or waiting out its backoff). A dead message no longer blocks its key: the receiver
gets the later events rather than nothing, and the dead one stays visible and replayable.
Keys are independent: a failing key delays only itself.

Claims: one conditional UPDATE (`status = 'pending' AND next_attempt_at <= now AND no earlier
pending message of the key`) counts the attempt and pushes `next_attempt_at` one lease
(`Settings.outbox_claim_lease_seconds`) ahead, so two processes never hold one message at once
and a process that dies mid-send leaves a claim that simply expires: the message is due again
and is delivered by whoever runs next (at least once; the idempotency key lets the receiver drop
the repeat). Concurrency: a pass keeps at most the connection's pool limit of calls in flight
(the pool of the connection it borrows from, shared with runs and everyone else).

Retries: the client makes one try per attempt (no inner retry loop); the outbox's own backoff
(exponential, capped, jittered; see backoff.py) is the retry policy, and it survives restarts.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, aliased

from forcebridge import log
from forcebridge.kinds.event_publish import EventPublishConfig
from forcebridge.outbox import backoff, messages, targets
from forcebridge.outbox.targets import Claimed, Outcome
from forcebridge.runtime import Runtime
from forcebridge.salesforce import (
    AuthorizationRevoked,
    CallListener,
    ConcurrencyPool,
    Credentials,
    CredentialsError,
    RetryPolicy,
    SalesforceClient,
    SalesforceError,
    Token,
)
from forcebridge.services import api_usage, authorization, connections
from forcebridge.services import integrations as integrations_service
from forcebridge.store.connections import Connection
from forcebridge.store.integrations import Integration
from forcebridge.store.outbox import OutboxMessage
from forcebridge.store.types import utcnow

Clock = Callable[[], datetime]

# One try per attempt: the outbox's durable backoff is the retry policy.
ONE_TRY = RetryPolicy(attempts=1)

_logger = log.get("outbox.delivery")
# Access tokens per runtime and connection (its id and last change), so a pass does not log in.
_tokens: weakref.WeakKeyDictionary[Runtime, dict[tuple[str, datetime], Token]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _Job:
    """One integration's share of a pass, read from the database before any call is made."""

    integration_id: str
    tenant_id: str
    connection_id: str
    connection_version: datetime
    config: EventPublishConfig
    credentials: Credentials
    pool: ConcurrencyPool
    on_call: CallListener


async def deliver_due(rt: Runtime, *, now: Clock | None = None) -> int:
    """One pass: deliver every message due now (and the ones that become due as their key's
    earlier message is delivered), integrations side by side; returns how many were delivered.

    `now` replaces the clock (tests move it instead of sleeping)."""
    clock = now or utcnow
    jobs = await anyio.to_thread.run_sync(_jobs, rt, clock())
    if not jobs:
        return 0
    # One database transaction at a time from this pass: writers queueing in the process beat
    # writers colliding in the database (SQLite answers a collision with a sleeping retry).
    db_lock = asyncio.Lock()
    counts = await asyncio.gather(*(_deliver(rt, job, clock, db_lock) for job in jobs))
    return sum(counts)


# Integrations whose messages are delivered; the others' messages wait for a person
# (enabling the integration, attaching or re-authorizing its connection).
_DELIVERING = (
    Integration.kind == "event_publish",
    Integration.enabled.is_(True),
    exists().where(
        Connection.id == Integration.connection_id,
        Connection.status != "needs_reauthorization",
    ),
)


def pending_count(rt: Runtime) -> int:
    """Pending messages that passes will deliver (due now or after their backoff)."""
    with rt.db.begin() as session:
        count = session.scalar(
            select(func.count(OutboxMessage.id))
            .join(Integration, Integration.id == OutboxMessage.integration_id)
            .where(OutboxMessage.status == "pending", *_DELIVERING)
        )
    return int(count or 0)


def _jobs(rt: Runtime, now: datetime) -> list[_Job]:
    """Enabled, connected event integrations with something due; their clients' ingredients."""
    due = exists().where(
        OutboxMessage.integration_id == Integration.id,
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
    )
    jobs: list[_Job] = []
    with rt.db.begin() as session:
        found = session.scalars(select(Integration).where(*_DELIVERING, due))
        for integration in found:
            conn = session.get(Connection, integration.connection_id)
            assert conn is not None
            try:
                config = integrations_service.config_of(integration, rt.vault)
            except Exception as exc:  # a config saved by an older version: say so, skip it
                _logger.warning(
                    "outbox: integration config unreadable",
                    extra={"fields": {"integration_id": integration.id, "error": str(exc)}},
                )
                continue
            assert isinstance(config, EventPublishConfig)
            lender = connections.lender_of(session, conn)
            jobs.append(
                _Job(
                    integration_id=integration.id,
                    tenant_id=integration.tenant_id,
                    connection_id=conn.id,
                    connection_version=conn.updated_at,
                    config=config,
                    credentials=authorization.credentials_for(conn, rt),
                    pool=rt.pools.for_lender(lender.id, lender.concurrency),
                    on_call=authorization.call_listener(session, conn),
                )
            )
    return jobs


async def _deliver(rt: Runtime, job: _Job, clock: Clock, db_lock: asyncio.Lock) -> int:
    cache = _tokens.setdefault(rt, {})
    token_key = (job.connection_id, job.connection_version)
    client = SalesforceClient(
        job.credentials,
        pool=job.pool,
        transport=rt.salesforce_transport,
        retry=ONE_TRY,
        token=cache.get(token_key),
        on_call=job.on_call,
    )
    with log.bind(integration_id=job.integration_id):
        async with client:
            if not await _logged_in(rt, job, client):
                return 0
            pass_ = _Pass(rt, job, client, clock, db_lock)
            await asyncio.gather(*(pass_.worker() for _ in range(job.pool.limit)))
            if client.token is not None:
                cache[token_key] = client.token
    await anyio.to_thread.run_sync(api_usage.note, rt.db, job.connection_id, client.usage)
    return pass_.delivered


class _Pass:
    """One integration's pass: as many workers as the pool allows, each claiming one call's
    worth of key heads, sending it and recording the outcome, so calls stay in flight back to
    back. A worker that finds nothing due waits while others are in flight (their deliveries
    make the next message of a key due) and stops once nobody is and nothing changed."""

    def __init__(
        self,
        rt: Runtime,
        job: _Job,
        client: SalesforceClient,
        clock: Clock,
        db_lock: asyncio.Lock,
    ) -> None:
        self.rt, self.job, self.client, self.clock = rt, job, client, clock
        self.db_lock = db_lock
        self.per_call = job.config.events_per_call
        self.budget = rt.settings.outbox_pass_limit
        self.delivered = 0
        self.in_flight = 0
        self.settled = 0  # calls finished so far
        self.stop = False
        self.changed = asyncio.Condition()

    async def worker(self) -> None:
        outcomes: list[Outcome] = []  # of this worker's last call, recorded with the next claim
        while True:
            seen = self.settled
            cap = 0 if self.stop else min(self.per_call, self.budget)
            self.budget -= cap
            async with self.db_lock:
                claimed = await anyio.to_thread.run_sync(
                    settle_and_claim,
                    self.rt,
                    self.job.config,
                    outcomes,
                    self.job.integration_id,
                    self.clock(),
                    cap,
                )
            self.budget += cap - len(claimed)
            if outcomes:
                await self._settled(outcomes)
                outcomes = []
            if not claimed:
                if cap == 0:
                    return
                async with self.changed:
                    if self.settled == seen:
                        if self.in_flight == 0:
                            return
                        await self.changed.wait()
                continue
            self.in_flight += 1
            try:
                outcomes = await targets.send(self.client, self.job.config, claimed)
            except BaseException:
                await self._settled([])
                raise

    async def _settled(self, outcomes: list[Outcome]) -> None:
        self.delivered += sum(1 for o in outcomes if o.kind == "delivered")
        if any(o.kind == "hold" for o in outcomes):
            self.stop = True
        async with self.changed:
            self.in_flight -= 1
            self.settled += 1
            self.changed.notify_all()


async def _logged_in(rt: Runtime, job: _Job, client: SalesforceClient) -> bool:
    """Log in before claiming anything, so a connection that cannot log in costs no attempt."""
    try:
        await client.log_in()
        return True
    except AuthorizationRevoked as exc:
        reason = f"{exc.code}: {exc.message}" if exc.message else exc.code
        await anyio.to_thread.run_sync(
            authorization.mark_needs_reauthorization, rt, job.tenant_id, job.connection_id, reason
        )
    except (SalesforceError, CredentialsError) as exc:
        log.event(_logger, "outbox: cannot log in, delivery postponed", error=str(exc))
    return False


def claim(rt: Runtime, integration_id: str, now: datetime, cap: int) -> list[Claimed]:
    """Claim up to `cap` due key heads of the integration, oldest first (see module docstring)."""
    with rt.db.begin() as session:
        return _claim(session, rt, integration_id, now, cap)


def settle_and_claim(
    rt: Runtime,
    config: EventPublishConfig,
    outcomes: list[Outcome],
    integration_id: str,
    now: datetime,
    cap: int,
) -> list[Claimed]:
    """`settle`, then `claim`, in one transaction: one commit per call instead of two."""
    with rt.db.begin() as session:
        _settle(session, config, outcomes, now)
        return _claim(session, rt, integration_id, now, cap) if cap > 0 else []


def _claim(
    session: Session, rt: Runtime, integration_id: str, now: datetime, cap: int
) -> list[Claimed]:
    lease = now + timedelta(seconds=rt.settings.outbox_claim_lease_seconds)
    earlier = aliased(OutboxMessage)
    # the claim re-checks that no earlier message of the key is pending, atomically
    blocked = (
        select(earlier.id)
        .where(
            earlier.integration_id == OutboxMessage.integration_id,
            earlier.event_key == OutboxMessage.event_key,
            earlier.status == "pending",
            earlier.id < OutboxMessage.id,
        )
        .exists()
    )
    # key heads: the lowest pending id of each key (one grouped index scan of the integration)
    heads = (
        select(func.min(OutboxMessage.id).label("head"))
        .where(OutboxMessage.integration_id == integration_id, OutboxMessage.status == "pending")
        .group_by(OutboxMessage.event_key)
        .subquery()
    )
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .join(heads, OutboxMessage.id == heads.c.head)
            .where(OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(cap)
        )
    )
    if not ids:
        return []
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
            ~blocked,
        )
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=lease)
        .returning(
            OutboxMessage.id,
            OutboxMessage.event_key,
            OutboxMessage.event_type,
            OutboxMessage.idempotency_key,
            OutboxMessage.payload,
            OutboxMessage.attempts,
            OutboxMessage.created_at,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(stmt).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def _settle(
    session: Session, config: EventPublishConfig, outcomes: list[Outcome], now: datetime
) -> None:
    if not outcomes:
        return
    delivered = [o.message_id for o in outcomes if o.kind == "delivered"]
    failed = [o for o in outcomes if o.kind != "delivered"]
    if delivered:  # the common case, in one statement
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(delivered), OutboxMessage.status == "pending")
            .values(status="delivered", delivered_at=now, last_error=None, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    if not failed:
        return
    found = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_([o.message_id for o in failed]))
    )
    by_id = {m.id: m for m in found}
    for outcome in failed:
        message = by_id.get(outcome.message_id)
        if message is None or message.status != "pending":
            continue  # deleted with its integration, or settled by another process
        _settle_one(session, config, message, outcome, now)


def _settle_one(
    session: Session,
    config: EventPublishConfig,
    message: OutboxMessage,
    outcome: Outcome,
    now: datetime,
) -> None:
    error = f"{outcome.code}: {outcome.reason}"[:4000] if outcome.code else None
    if outcome.kind == "hold":
        message.attempts = max(message.attempts - 1, 0)
        message.next_attempt_at = now + timedelta(seconds=config.backoff_max_seconds)
        message.last_error = error
        return
    if outcome.kind == "retry" and message.attempts < config.max_attempts:
        message.next_attempt_at = backoff.next_attempt(
            now, message.attempts, config.backoff_base_seconds, config.backoff_max_seconds
        )
        message.last_error = error
        log.event(
            _logger,
            "outbox: delivery failed, will retry",
            message_id=message.id,
            attempts=message.attempts,
            error_code=outcome.code,
            next_attempt_at=message.next_attempt_at.isoformat(),
        )
        return
    messages.dead_letter(
        session,
        message,
        code=outcome.code or "UNKNOWN_ERROR",
        reason=outcome.reason or "not delivered",
        now=now,
    )
