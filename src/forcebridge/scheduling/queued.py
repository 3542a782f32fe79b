"""Runs asked for now (API, console, CLI): in this process, or queued for the workers.

Without a broker a run goes on in the asking process (`runs.background`). With one, the
asking process only records a `queued` run that holds the integration's lock, so refusals
(already running, disabled, not connected) are answered at once as before, and sends it to
the workers; the answer is the run's id, and `serve` keeps no run of its own. A worker
starts the queued run (`run_lifecycle.adopt`, a conditional UPDATE: a duplicate task starts
nothing) and it goes on like any run. A task the broker lost is sent again by the scheduler
after `dispatch_lease_seconds`; a run no worker started within three of those ends `failed`
saying so, releasing the lock.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio

from forcebridge import log
from forcebridge.errors import NotFound
from forcebridge.runs import background
from forcebridge.runs.setup import entity_config
from forcebridge.runtime import Runtime
from forcebridge.scheduling import broker
from forcebridge.services import integrations
from forcebridge.services import run_lifecycle as lifecycle
from forcebridge.services import runs as run_history
from forcebridge.store.runs import Run

logger = log.get("scheduling")
ENDED = ("succeeded", "partial", "failed")
_apps: dict[str, Any] = {}  # one Celery app per broker URL and process, for sending


def _app(rt: Runtime) -> Any:
    url = rt.settings.broker_url
    assert url
    if url not in _apps:
        _apps[url] = broker.celery_app(rt.settings)
    return _apps[url]


def task_kwargs(run: Run) -> dict[str, Any]:
    """What the worker's task needs to start the queued `run`."""
    options = run.options or {}
    return {"run_id": run.id, "tenant_id": run.tenant_id,
            "integration_id": run.integration_id,
            "full": bool(options.get("full")), "reconcile": bool(options.get("reconcile"))}


def send(app: Any, run: Run) -> bool:
    """Send the queued `run` to the workers; False when the broker cannot be reached (the
    scheduler sends it again later)."""
    try:
        app.send_task(broker.QUEUED_RUN, kwargs=task_kwargs(run), queue=broker.QUEUE,
                      retry=False)
    except Exception as exc:
        logger.warning("queued run not sent: the broker cannot be reached (%s); the "
                       "scheduler sends it again", type(exc).__name__,
                       extra={"fields": {"run_id": run.id}})
        return False
    return True


def enqueue(rt: Runtime, tenant_id: str, ref: str, *, trigger: str, full: bool = False,
            reconcile: bool = False) -> str:
    """Record a queued run of the integration and send it to the workers; its id. Raises
    what a run would refuse with up front (NotFound, Conflict, `AlreadyRunning`)."""
    with rt.db.begin() as session:
        integration = integrations.get(session, tenant_id, ref)
        entity_config(rt, integration)
        run = lifecycle.claim(session, rt, integration, trigger=trigger, queued=True,
                              options={"full": full, "reconcile": reconcile})
        session.flush()
        session.expunge(run)
    send(_app(rt), run)
    log.event(logger, "run queued", run_id=run.id, integration_id=run.integration_id)
    return run.id


async def start_run(rt: Runtime, tenant_id: str, ref: str, *, trigger: str,
                    full: bool = False, reconcile: bool = False) -> str:
    """Start a run now: queued for the workers when a broker is configured, else in this
    process's background; its id either way, or its refusal."""
    if rt.settings.broker_url:
        return await anyio.to_thread.run_sync(
            lambda: enqueue(rt, tenant_id, ref, trigger=trigger, full=full,
                            reconcile=reconcile))
    return await background.start_run(rt, tenant_id, ref, trigger=trigger, full=full,
                                      reconcile=reconcile)


def status_of(rt: Runtime, tenant_id: str, run_id: str) -> str | None:
    """The run's status now, a dead run ended as it is looked at (None: it no longer exists,
    its integration was deleted)."""
    with rt.db.begin() as session:
        try:
            return run_history.get(session, tenant_id, run_id).status
        except NotFound:
            return None


async def ended(rt: Runtime, tenant_id: str, run_id: str, *, every: float = 0.5) -> None:
    """Return once the run has ended, whichever process runs it."""
    while True:
        status = await anyio.to_thread.run_sync(status_of, rt, tenant_id, run_id)
        if status is None or status in ENDED:
            return
        await asyncio.sleep(every)
