"""Which integrations are due, and claiming a due tick so exactly one scheduler runs it.

Plain synchronous database work in short transactions of their own; the scheduler calls it
from a worker thread, so the API sharing its event loop never waits on the database.

A tick is claimed by moving `next_run_at` forward with a conditional UPDATE (`WHERE
next_run_at = <the value read>`): when two schedulers (processes, machines) read the same
due row, exactly one UPDATE matches. It moves to the first tick after *now*, not after the
tick claimed: that is what turns ticks missed while no scheduler ran into one catch-up run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, select, update

from forcebridge import log
from forcebridge.services.integrations import SCHEDULED_KINDS, next_tick
from forcebridge.store.db import Database
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run

logger = log.get("scheduling")


@dataclass(frozen=True)
class Due:
    """A tick this scheduler claimed: the run it starts is `scheduled_for` that tick."""

    integration_id: str
    tenant_id: str
    scheduled_for: datetime
    next_run_at: datetime  # what the claim moved `next_run_at` to


def _schedulable() -> list[ColumnElement[bool]]:
    """Enabled, connected, of a scheduled kind, with a schedule: the only ones a tick runs."""
    return [
        Integration.kind.in_(sorted(SCHEDULED_KINDS)),
        Integration.enabled.is_(True),
        Integration.connection_id.is_not(None),
        Integration.schedule.is_not(None),
    ]


def first_tick(schedule: str, now: datetime, *, has_run: bool) -> datetime:
    """When an integration without `next_run_at` runs first.

    One that never ran is due at once: it was just created (or connected), and waiting up to
    an hour for its first sync helps nobody. Otherwise (its schedule changed, or it was
    enabled again) the schedule's next tick.
    """
    return next_tick(schedule, now) if has_run else now


def set_first_ticks(db: Database, now: datetime) -> int:
    """Give every schedulable integration without `next_run_at` its first tick; how many."""
    has_run = exists().where(Run.integration_id == Integration.id)
    with db.begin() as session:
        rows = session.execute(
            select(Integration.id, Integration.schedule, has_run).where(
                *_schedulable(), Integration.next_run_at.is_(None)
            )
        ).all()
    count = 0
    for integration_id, schedule, ran in rows:
        schedule = schedule or ""  # never empty here: the query asks for a schedule
        try:
            first = first_tick(schedule, now, has_run=bool(ran))
        except Exception:
            _bad_schedule(integration_id, schedule)
            continue
        # conditional: another scheduler (or a schedule edit) may have set it meanwhile
        count += _move(db, integration_id, None, first)
    return count


def claim_due(
    db: Database, now: datetime, *, skip: frozenset[str] = frozenset(),
    hold: timedelta | None = None,
) -> list[Due]:
    """Claim every tick due at `now` (integrations in `skip` are left due); the claimed ones.

    `skip` holds integrations whose run is still going in this process: their tick stays due
    and becomes one catch-up run when that run ends. With `hold` (a broker carries the run to
    a worker) the tick is only held that long, `next_run_at` set to now + hold, and the worker
    that starts the run moves it on (`confirm`); a task lost on the way lets the tick fall due
    again, and one that arrives after that finds the row moved and starts nothing. Integrations
    with a run going anywhere are then left due as well.
    """
    set_first_ticks(db, now)
    idle = [Integration.running_run_id.is_(None)] if hold is not None else []
    with db.begin() as session:
        rows = session.execute(
            select(
                Integration.id, Integration.tenant_id, Integration.schedule,
                Integration.next_run_at,
            )
            .where(*_schedulable(), *idle, Integration.next_run_at <= now)
            .order_by(Integration.next_run_at, Integration.id)
        ).all()
    claimed = []
    for integration_id, tenant_id, schedule, due_at in rows:
        if integration_id in skip or due_at is None or not schedule:
            continue
        try:
            following = now + hold if hold is not None else next_tick(schedule, now)
        except Exception:
            _bad_schedule(integration_id, schedule)
            continue
        if _move(db, integration_id, due_at, following):
            claimed.append(Due(integration_id, tenant_id, due_at, following))
    return claimed


def confirm(db: Database, due: Due, now: datetime) -> Due | None:
    """A worker about to start the run of a held tick (`claim_due(hold=)`): move the tick to
    the schedule's next one; the tick as moved, or None when the hold was lost (the tick was
    claimed again, or the schedule changed), so this task must start nothing."""
    with db.session() as session:
        schedule = session.scalar(
            select(Integration.schedule).where(Integration.id == due.integration_id))
    if not schedule:
        return None
    following = next_tick(schedule, now)
    if not _move(db, due.integration_id, due.next_run_at, following):
        return None
    return Due(due.integration_id, due.tenant_id, due.scheduled_for, following)


def due_now(db: Database, integration_ids: list[str], now: datetime) -> int:
    """Make these integrations due at once (their run died: the next pass takes it over)."""
    if not integration_ids:
        return 0
    with db.begin() as session:
        result = session.execute(
            update(Integration)
            .where(Integration.id.in_(integration_ids), *_schedulable())
            .values(next_run_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def release(db: Database, due: Due) -> bool:
    """Put a claimed tick back (its run could not start: another run holds the lock), so the
    next pass tries again instead of the tick being lost. False if the row moved since."""
    return bool(_move(db, due.integration_id, due.next_run_at, due.scheduled_for))


def _move(db: Database, integration_id: str, expected: datetime | None, new: datetime) -> int:
    """The conditional UPDATE every claim goes through; 1 if this caller won, else 0."""
    column = Integration.next_run_at
    matches = column.is_(None) if expected is None else column == expected
    with db.begin() as session:
        result = session.execute(
            update(Integration)
            .where(Integration.id == integration_id, matches)
            .values(next_run_at=new)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _bad_schedule(integration_id: str, schedule: str) -> None:
    # Saving checks the expression; only an edit behind the service's back gets here.
    logger.exception(
        "integration has a schedule that cannot be evaluated; it is not scheduled",
        extra={"fields": {"integration_id": integration_id, "schedule": schedule}},
    )
