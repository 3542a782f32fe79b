"""`forcebridge worker`: a Celery worker running the scheduled work (scheduling.work).

One event loop per worker process, in a thread of its own, runs every task's coroutine: the
connection pools, clients and their tokens are asyncio objects shared by all tasks of the
process, as they are inside `forcebridge serve`. Celery's thread pool hands tasks to that
loop and waits for each, so `--concurrency` tasks run side by side; a process holds one
`Runtime`. Logs are forcebridge's structured lines, with the run ids the runs bind.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import text

from forcebridge import log
from forcebridge.forms import sending
from forcebridge.outbox import delivery
from forcebridge.runtime import Runtime
from forcebridge.scheduling import broker, work
from forcebridge.scheduling.due import Due
from forcebridge.telemetry import tracing

T = TypeVar("T")
logger = log.get("worker")


class LoopThread:
    """An event loop running in a daemon thread; `call` runs a coroutine there and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="forcebridge worker loop", daemon=True)
        self.thread.start()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def worker_app(rt: Runtime, loop: LoopThread) -> Any:
    """The Celery app with the tasks, each running its work function on `loop`."""
    app = broker.celery_app(rt.settings)

    @app.task(name=broker.RUN)
    def scheduled_run(
        integration_id: str, tenant_id: str, scheduled_for: str, held_until: str
    ) -> str | None:
        held = Due(integration_id, tenant_id, datetime.fromisoformat(scheduled_for),
                   datetime.fromisoformat(held_until))
        return loop.call(work.dispatched_run(rt, held))

    @app.task(name=broker.QUEUED_RUN)
    def queued_run(
        run_id: str, tenant_id: str, integration_id: str, full: bool, reconcile: bool
    ) -> str | None:
        return loop.call(work.queued_run(rt, run_id, tenant_id, integration_id, full=full,
                                         reconcile=reconcile))

    @app.task(name=broker.OUTBOX_DELIVERY)
    def outbox_delivery() -> int:
        return loop.call(delivery.deliver_due(rt))

    @app.task(name=broker.FORM_RESEND)
    def form_resend() -> int:
        return loop.call(sending.resend_pending(rt))

    return app


def run_worker(rt: Runtime, *, concurrency: int, hostname: str | None = None) -> None:
    """Run a worker until it is stopped (SIGTERM or SIGINT: the tasks running finish first).

    Celery's Redis transport can give up on a broker connection lost at the wrong moment
    ("Unrecoverable error" while restoring unacknowledged messages): the tasks running still
    finish, then the Celery worker stops. Nobody asked it to, so it starts again with a fresh
    app and waits for Redis like any start; only a shutdown signal ends the process.
    """
    from celery import signals

    loop = LoopThread()
    asked: list[object] = []

    def shutting_down(sig: object = None, **_: Any) -> None:
        asked.append(sig)

    signals.worker_shutting_down.connect(shutting_down, weak=False)
    options: dict[str, Any] = {
        "pool": "threads", "concurrency": concurrency, "queues": [broker.QUEUE],
        "loglevel": rt.settings.log_level, "without_heartbeat": True,
        "without_mingle": True, "without_gossip": True,
    }
    if hostname:
        options["hostname"] = hostname
    tracing.configure(rt.settings)
    if rt.settings.worker_metrics_port is not None:
        from forcebridge.telemetry import exposition

        exposition.serve_process_figures(rt, rt.settings.worker_metrics_port)
    log.event(logger, "worker starting", concurrency=concurrency,
              database=rt.db.dialect, queue=broker.QUEUE)
    try:
        while True:
            worker = worker_app(rt, loop).Worker(**options)
            worker.start()
            if asked or not worker.exitcode:
                return
            logger.warning("worker: the Celery worker stopped on its own (exit code %s); "
                           "starting it again", worker.exitcode)
            time.sleep(1)
    finally:
        loop.stop()


@dataclass(frozen=True)
class Check:
    """One dependency of a worker: its name, whether it answers, and what it said."""

    name: str
    ok: bool
    detail: str


def check(rt: Runtime) -> list[Check]:
    """Whether the broker and the database answer (`forcebridge worker --check`)."""
    from forcebridge.store import migrate

    checks = []
    url = rt.settings.broker_url
    if not url:
        checks.append(Check("broker", False, "FORCEBRIDGE_BROKER_URL is not set"))
    else:
        problem = broker.broker_problem(url)
        checks.append(Check("broker", problem is None, problem or "answers"))
    try:
        with rt.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = migrate.current_revision(rt.db)
    except Exception as exc:  # a check reports, never raises
        checks.append(Check("database", False, f"unreachable ({type(exc).__name__})"))
    else:
        ok = revision is not None
        checks.append(Check("database", ok, f"{rt.db.dialect}, revision {revision}" if ok
                            else f"{rt.db.dialect}, not migrated"))
    return checks
