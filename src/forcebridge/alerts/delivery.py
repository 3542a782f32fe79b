"""Sending queued alert messages: claimed, sent side by side, retried with backoff.

A pass claims the due messages by moving their `next_attempt_at` forward with a conditional
UPDATE (so two processes never send one message at once, and a process that dies mid-send
leaves it due again after the lease), sends them, and records each outcome: `sent`, or one
more attempt with the reason and a wait that doubles (30 s up to an hour), until
`MAX_ATTEMPTS` make it `failed`. Nothing here runs inside a run: a dead channel costs a run
nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import httpx
from sqlalchemy import select, update

from forcebridge import log
from forcebridge.alerts import channels
from forcebridge.alerts.channels import ChannelFailed, Target
from forcebridge.runtime import Runtime
from forcebridge.store.alerts import AlertChannel, AlertMessage
from forcebridge.store.types import utcnow

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 8
FIRST_WAIT_SECONDS = 30.0
LONGEST_WAIT_SECONDS = 3600.0
LEASE = timedelta(minutes=2)
PASS_LIMIT = 200
_logger = log.get("alerts")


@dataclass(frozen=True)
class _Claimed:
    message_id: int
    channel_id: str
    attempts: int
    target: Target
    body: dict[str, Any]


def wait_after(attempts: int) -> float:
    """Seconds before the next try once `attempts` tries failed."""
    return min(FIRST_WAIT_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_WAIT_SECONDS)


def _claim(rt: Runtime, now: datetime, only: int | None) -> list[_Claimed]:
    claimed: list[_Claimed] = []
    with rt.db.begin() as session:
        query = (select(AlertMessage, AlertChannel)
                 .join(AlertChannel, AlertChannel.id == AlertMessage.channel_id)
                 .where(AlertMessage.status == "pending", AlertMessage.next_attempt_at <= now))
        if only is not None:
            query = query.where(AlertMessage.id == only)
        due = session.execute(query.order_by(AlertMessage.id).limit(PASS_LIMIT)).all()
        for message, channel in due:
            taken = session.execute(
                update(AlertMessage)
                .where(AlertMessage.id == message.id,
                       AlertMessage.next_attempt_at == message.next_attempt_at,
                       AlertMessage.status == "pending")
                .values(next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False))
            if not getattr(taken, "rowcount", 0):
                continue
            target = Target(
                kind=channel.kind,
                url=rt.vault.open(channel.url) if channel.url else None,
                signing_secret=rt.vault.open(channel.signing_secret)
                if channel.signing_secret else None,
                recipients=tuple(channel.recipients or ()))
            claimed.append(_Claimed(message.id, channel.id, message.attempts, target,
                                    dict(message.body)))
    return claimed


def _record(rt: Runtime, outcomes: list[tuple[_Claimed, str | None]], now: datetime) -> None:
    with rt.db.begin() as session:
        for claimed, error in outcomes:
            attempts = claimed.attempts + 1
            values: dict[str, Any] = {"attempts": attempts}
            if error is None:
                values |= {"status": "sent", "sent_at": now, "last_error": None}
            else:
                values |= {"last_error": error[:1000],
                           "status": "failed" if attempts >= MAX_ATTEMPTS else "pending",
                           "next_attempt_at": now + timedelta(seconds=wait_after(attempts))}
                _logger.warning("alert not sent", extra={"fields": {
                    "channel_id": claimed.channel_id, "message_id": claimed.message_id,
                    "attempts": attempts, "error": error}})
            session.execute(update(AlertMessage).where(AlertMessage.id == claimed.message_id)
                            .values(**values).execution_options(synchronize_session=False))


async def send_due(rt: Runtime, *, now: Clock | None = None, only: int | None = None) -> int:
    """Send every due message once (or only message `only`); how many were sent."""
    clock = now or utcnow
    claimed = await anyio.to_thread.run_sync(_claim, rt, clock(), only)
    if not claimed:
        return 0
    async with httpx.AsyncClient() as http:
        async def one(item: _Claimed) -> tuple[_Claimed, str | None]:
            try:
                await channels.send(rt.settings, item.target, item.message_id, item.body, http)
            except ChannelFailed as exc:
                return item, exc.reason
            except Exception as exc:  # a channel's bug must not stop the others
                _logger.exception("alert channel crashed")
                return item, f"unexpected error ({type(exc).__name__})"
            return item, None

        async def in_order(items: list[_Claimed]) -> list[tuple[_Claimed, str | None]]:
            return [await one(item) for item in items]

        # channels in parallel; one channel's messages in the order they were made, so an
        # incident's "resolved" never reaches it before its "opened"
        by_channel: dict[str, list[_Claimed]] = {}
        for item in claimed:
            by_channel.setdefault(item.channel_id, []).append(item)
        sent = await asyncio.gather(*(in_order(items) for items in by_channel.values()))
        outcomes = [outcome for per_channel in sent for outcome in per_channel]
    await anyio.to_thread.run_sync(_record, rt, outcomes, clock())
    return sum(1 for _, error in outcomes if error is None)
