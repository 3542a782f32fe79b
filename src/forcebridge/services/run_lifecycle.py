"""A run's life in the store: claim the integration's run lock, beat, end, count failures.

The lock is `integrations.running_run_id`, set by one conditional UPDATE (`... WHERE
running_run_id IS NULL`, or the id of a run found dead), so two processes can never run one
integration at once: the loser's UPDATE matches no row. A run records its host and process id
and, at every heartbeat, `alive_until` (three heartbeat periods ahead). It is dead once that
time has passed, or at once when it ran on this host and its process is gone; a dead run is
ended `failed` ("the process running it stopped") by the next claim, by the scheduler's sweep
and by anything that reads the integration (`end_if_dead`), so an immediate rerun after a
`kill -9` works. The counts of what Salesforce answered (created, updated, failed, deleted)
are added to the run's row in the transaction that keeps each answer (`runs.sink.record_answer`), so a
killed run's counts hold everything it recorded. Ending a run writes its status, releases the
lock, and keeps the failure streak: a run is failed when it could not finish, and also when it
finished having written nothing while records failed (every record rejected is an error to
the people running it, however cleanly the run ended); after `FAILURE_STREAK_LIMIT` failed
runs in a row the integration disables itself and emails its notification users (once: a
disabled integration does not run again until someone enables it, which resets the streak).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from forcebridge import log, notifications
from forcebridge.errors import Conflict
from forcebridge.runtime import Runtime
from forcebridge.services import audit, events, tenants
from forcebridge.services import integrations as integrations_service
from forcebridge.store.integrations import Integration
from forcebridge.store.models import User
from forcebridge.store.runs import Run
from forcebridge.store.types import new_id, utcnow
from forcebridge.suggested import command

FAILURE_STREAK_LIMIT = 10
WAITING = "waiting_for_api_budget"
# a run in either is going: it holds its lock, beats, and is dead only when it stops beating
GOING = ("running", WAITING)
# a run asked for while a broker is configured holds the lock until a worker starts it
QUEUED = "queued"
HOLDING = (QUEUED, *GOING)
STALE_REASON = "the process running it stopped"
UNSTARTED_REASON = "no worker started it in time (is a `forcebridge worker` running?)"
COUNT_NAMES = ("read", "filtered", "created", "updated", "unchanged", "deleted", "failed")
# what the run's own loop counts; the rest are added as Salesforce's answers are kept
PROGRESS_NAMES = ("read", "filtered", "unchanged")
ANSWER_NAMES = ("created", "updated", "deleted", "failed")
ALIVE_BEATS = 3  # heartbeat periods a run may miss before it is taken for dead
HOST = socket.gethostname()

_logger = log.get("runs")


class AlreadyRunning(Conflict):
    """Another run of the integration holds its run lock."""

    code = "already_running"


@dataclass
class Counts:
    """What a run did so far; `as_dict` is what progress callbacks and the store see."""

    read: int = 0
    filtered: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_NAMES}

    def progress(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PROGRESS_NAMES}


@dataclass
class Failure:
    """Why a run could not finish: the one event it leaves behind."""

    message: str
    error_code: str | None = None
    fields: list[str] = field(default_factory=list)


def _aware(moment: datetime, like: datetime) -> datetime:
    """`moment` comparable with `like` (SQLite hands datetimes back naive)."""
    if like.tzinfo is None and moment.tzinfo is not None:
        return moment.replace(tzinfo=None)
    return moment


def process_gone(pid: int) -> bool:
    """Whether process `pid` of this host has ended (a zombie, killed and not yet reaped by
    its parent, has ended too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def is_dead(run: Run | None, now: datetime) -> bool:
    """A run that no longer runs: ended, past `alive_until`, or its process on this host
    gone."""
    if run is None or run.status not in HOLDING:
        return True
    # a run from before alive_until was recorded: the old ten minutes
    until = run.alive_until or run.heartbeat_at + timedelta(seconds=600)
    if _aware(now, until) > until:
        return True
    return run.host == HOST and run.pid is not None and process_gone(run.pid)


def _alive_until(rt: Runtime, now: datetime) -> datetime:
    return now + timedelta(seconds=ALIVE_BEATS * rt.settings.run_heartbeat_seconds)


def _queued_until(rt: Runtime, now: datetime) -> datetime:
    """A queued run is dead when no worker started it within three sends."""
    return now + timedelta(seconds=ALIVE_BEATS * rt.settings.dispatch_lease_seconds)


def _stale_failure(run: Run) -> Failure:
    if run.status == QUEUED:
        return Failure(UNSTARTED_REASON, "run_not_started")
    return Failure(STALE_REASON, "run_stopped")


def claim_refusal(integration: Integration) -> None:
    """Refuse (`Conflict`) running a disabled or unconnected integration, naming which."""
    if not integration.enabled:
        reason = integration.disabled_reason or "disabled"
        raise Conflict(f"integration {integration.name!r} is disabled ({reason}): enable it "
                       "to run it")
    if integration.connection_id is None:
        raise Conflict(f"integration {integration.name!r} is not connected: attach a "
                       "connection to run it")


def claim(
    session: Session, rt: Runtime, integration: Integration, *, trigger: str,
    scheduled_for: datetime | None = None, queued: bool = False,
    options: dict[str, Any] | None = None,
) -> Run:
    """A new `running` run holding the integration's lock, or `AlreadyRunning`; with `queued`,
    a `queued` run holding it for a worker to start (`adopt`), with the run's `options`.

    Refuses (`Conflict`) a disabled or unconnected integration, naming which. A lock held by a
    stale run is taken over and that run is ended failed (it counts in the failure streak).
    """
    claim_refusal(integration)
    now = utcnow()
    held = integration.running_run_id
    stale: Run | None = None
    if held is not None:
        holder = session.get(Run, held)
        if not is_dead(holder, now):
            raise AlreadyRunning(f"integration {integration.name!r} is already running "
                                 f"(run {held})")
        stale = holder
    run = Run(
        id=new_id(), tenant_id=integration.tenant_id, integration_id=integration.id,
        trigger=trigger, status="running", scheduled_for=scheduled_for, started_at=now,
        heartbeat_at=now, alive_until=_alive_until(rt, now), host=HOST, pid=os.getpid(),
    )
    if queued:  # no process runs it yet: dead only when no worker started it in time
        run.status, run.options, run.host, run.pid = QUEUED, options or {}, None, None
        run.alive_until = _queued_until(rt, now)
    session.add(run)
    session.flush()
    condition = (
        Integration.running_run_id.is_(None) if held is None
        else or_(Integration.running_run_id.is_(None), Integration.running_run_id == held)
    )
    claimed = session.execute(
        update(Integration).where(Integration.id == integration.id, condition)
        .values(running_run_id=run.id).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadyRunning(f"integration {integration.name!r} is already running")
    if stale is not None and stale.status in HOLDING:
        _end(session, integration, stale, _stale_failure(stale), now)
        log.event(_logger, "dead run taken over", run_id=stale.id, integration_id=integration.id)
    session.refresh(integration)
    return run


class NotQueued(Conflict):
    """The queued run was started by another worker, or ended, meanwhile."""

    code = "not_queued"


def adopt(session: Session, rt: Runtime, integration: Integration, run_id: str) -> Run:
    """Start the queued run `run_id` in this process: `running`, beating from now on. Raises
    `NotQueued` when it is no longer queued (a duplicate task, or it was ended), and the
    refusals of `claim` when the integration was disabled or disconnected meanwhile."""
    if integration.running_run_id != run_id:
        raise NotQueued(f"run {run_id} does not hold integration {integration.name!r}")
    if not integration.enabled or integration.connection_id is None:
        claim_refusal(integration)
    now = utcnow()
    started = session.execute(
        update(Run).where(Run.id == run_id, Run.status == QUEUED)
        .values(status="running", started_at=now, heartbeat_at=now,
                alive_until=_alive_until(rt, now), host=HOST, pid=os.getpid())
        .execution_options(synchronize_session=False)
    )
    if started.rowcount != 1:  # type: ignore[attr-defined]
        raise NotQueued(f"run {run_id} is no longer queued")
    run = session.get(Run, run_id)
    assert run is not None
    session.refresh(run)
    return run


def end_queued(rt: Runtime, run_id: str, message: str) -> bool:
    """End a queued run that cannot start (`failed`, with `message`), releasing its lock;
    whether it was still queued."""
    with rt.db.begin() as session:
        # taken from `queued` first, so a worker starting it at this moment cannot also
        taken = session.execute(
            update(Run).where(Run.id == run_id, Run.status == QUEUED).values(status="running")
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return False
    finish(rt, run_id, Counts(), 0, Failure(message, "run_not_started"))
    return True


def queued_to_send(rt: Runtime, now: datetime) -> list[Run]:
    """Queued runs sent longer than `dispatch_lease_seconds` ago and not started (their task
    was lost, e.g. Redis restarted): each is taken for sending again, by one caller."""
    lease = timedelta(seconds=rt.settings.dispatch_lease_seconds)
    again = []
    with rt.db.session() as session:
        found = list(session.scalars(select(Run).where(Run.status == QUEUED)))
    for run in found:
        if _aware(now - lease, run.heartbeat_at) < run.heartbeat_at:
            continue
        with rt.db.begin() as session:
            taken = session.execute(
                update(Run).where(Run.id == run.id, Run.status == QUEUED,
                                  Run.heartbeat_at == run.heartbeat_at)
                .values(heartbeat_at=now, alive_until=_queued_until(rt, now))
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                again.append(run)
    return again


def end_if_dead(session: Session, integration: Integration) -> bool:
    """End the integration's running run if it is dead, releasing the lock, in `session`;
    whether it did. What reads an integration calls it, so a killed run shows `failed` as
    soon as anyone looks."""
    held = integration.running_run_id
    if held is None:
        return False
    run = session.get(Run, held)
    now = utcnow()
    if not is_dead(run, now):
        return False
    released = session.execute(
        update(Integration)
        .where(Integration.id == integration.id, Integration.running_run_id == held)
        .values(running_run_id=None).execution_options(synchronize_session=False)
    )
    if released.rowcount != 1:  # type: ignore[attr-defined]
        return False  # another process ended or took it over meanwhile
    if run is not None and run.status in HOLDING:
        _end(session, integration, run, _stale_failure(run), now)
        log.event(_logger, "dead run ended", run_id=run.id, integration_id=integration.id)
    session.refresh(integration)
    return True


def end_dead_runs(rt: Runtime) -> int:
    """The scheduler's sweep: end every dead run still holding a lock; how many."""
    return len(dead_runs_ended(rt))


def dead_runs_ended(rt: Runtime) -> list[str]:
    """End every dead run still holding a lock; the integrations they were runs of."""
    ended = []
    with rt.db.session() as session:
        held = list(session.scalars(
            select(Integration.id).where(Integration.running_run_id.is_not(None))))
    for integration_id in held:
        with rt.db.begin() as session:
            integration = session.get(Integration, integration_id)
            if integration is not None and end_if_dead(session, integration):
                ended.append(integration_id)
    return ended


def heartbeat(rt: Runtime, run_id: str, counts: Counts, api_calls: int) -> None:
    """Show the run alive for three more periods, with its reading counts so far."""
    now = utcnow()
    with rt.db.begin() as session:
        session.execute(
            update(Run).where(Run.id == run_id, Run.status.in_(GOING))
            .values(heartbeat_at=now, alive_until=_alive_until(rt, now), api_calls=api_calls,
                    **counts.progress())
        )


def wait_for_budget(rt: Runtime, run_id: str, waiting: bool, detail: dict[str, int]) -> None:
    """Show the run waiting for the org's API budget (`waiting`), or running again."""
    before, after = ("running", WAITING) if waiting else (WAITING, "running")
    with rt.db.begin() as session:
        session.execute(update(Run).where(Run.id == run_id, Run.status == before)
                        .values(status=after))
    what = "run waiting for the API budget" if waiting else "run resumed within the API budget"
    log.event(_logger, what, run_id=run_id, **detail)


def _wrote_anything(run: Run) -> bool:
    """Whether the run changed anything in the org (created, updated or deleted a record)."""
    return bool(run.created or run.updated or run.deleted)


def _nothing_written(failed: int) -> str:
    """The error of a run that finished but whose every attempted record failed."""
    return (f"no record was written: all {failed:,} record(s) it tried failed (see the "
            "run's events)")


def _end(
    session: Session, integration: Integration, run: Run, failure: Failure | None,
    now: datetime, counts: Counts | None = None, api_calls: int | None = None,
) -> list[str]:
    """Write the run's end and the streak; returns the emails to notify (auto-disabled)."""
    if counts is not None:  # the answer counts are in the row already (runs.sink.record_answer)
        for name, value in counts.progress().items():
            setattr(run, name, value)
    if api_calls is not None:
        run.api_calls = api_calls
    run.ended_at = now
    if failure is not None:
        run.status, run.error = "failed", failure.message
        events.record(
            session, integration=integration, run_id=run.id, kind="run_failed",
            message=failure.message, error_code=failure.error_code, fields=failure.fields,
        )
    elif run.failed and not _wrote_anything(run):
        # its records' events say why each failed; the run itself is the failure people see
        run.status, run.error = "failed", _nothing_written(run.failed)
    else:
        run.status = "partial" if run.failed else "succeeded"
    if run.status != "failed":
        integration.failure_streak = 0
        return []
    integration.failure_streak = (integration.failure_streak or 0) + 1
    if integration.failure_streak < FAILURE_STREAK_LIMIT or not integration.enabled:
        return []
    last = run.error or "failed"
    reason = (f"disabled after {integration.failure_streak} failed runs in a row; the last: "
              f"{last}")
    integrations_service.set_enabled(integration, False, reason=reason[:1000])
    audit.record(
        session, actor="system", action="integration.auto_disable", target_type="integration",
        target_id=integration.id, tenant_id=integration.tenant_id,
        detail={"failure_streak": integration.failure_streak, "reason": last},
    )
    log.event(_logger, "integration disabled after failed runs", integration_id=integration.id,
              failure_streak=integration.failure_streak)
    users = [session.get(User, uid) for uid in integration.notify_user_ids or []]
    return [u.email for u in users if u is not None and u.tenant_id == integration.tenant_id]


def _enable_command(session: Session, integration: Integration) -> str:
    tenant = tenants.get(session, integration.tenant_id).name
    return command("integrations", "enable", integration.name, "--tenant", tenant)


def finish(
    rt: Runtime, run_id: str, counts: Counts, api_calls: int, failure: Failure | None
) -> str:
    """End the run (status from `failure` and the failed count), release the lock, keep the
    streak, and email the notification users when this run disabled the integration."""
    with rt.db.begin() as session:
        run = session.get(Run, run_id)
        assert run is not None
        integration = session.get(Integration, run.integration_id)
        if integration is None:  # deleted while running: nothing left to keep
            return "failed" if failure else "succeeded"
        recipients = _end(session, integration, run, failure, utcnow(), counts, api_calls)
        session.execute(
            update(Integration)
            .where(Integration.id == integration.id, Integration.running_run_id == run_id)
            .values(running_run_id=None).execution_options(synchronize_session=False)
        )
        status, name, reason = run.status, integration.name, integration.disabled_reason
        again = _enable_command(session, integration)
    log.event(_logger, "run ended", run_id=run_id, status=status, api_calls=api_calls,
              **counts.as_dict())
    if recipients:
        _notify_disabled(rt, recipients, name, reason or "", again)
    return status


def _notify_disabled(
    rt: Runtime, recipients: list[str], name: str, reason: str, again: str
) -> None:
    notifications.send(
        rt.settings,
        recipients,
        f"[forcebridge] Integration {name!r} disabled itself",
        f"Integration {name!r} failed {FAILURE_STREAK_LIMIT} runs in a row and disabled "
        f"itself:\n\n  {reason}\n\nNo runs happen until someone fixes the cause and enables it "
        f"again:\n  {again}\n",
    )
