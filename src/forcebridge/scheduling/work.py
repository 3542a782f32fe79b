"""The scheduled work itself, one function each, whoever executes it.

Without a broker the embedded `Scheduler` awaits these in its own event loop; with one, the
`forcebridge worker` process runs them as Celery tasks (scheduling.worker). One code path for
the work, two ways to execute it: whatever a run or a delivery does, it does the same in both.
"""

from __future__ import annotations

import asyncio

import anyio

from forcebridge import log
from forcebridge.errors import ForcebridgeError
from forcebridge.runtime import Runtime
from forcebridge.scheduling import due as due_ticks
from forcebridge.store.types import utcnow

logger = log.get("scheduling")


async def scheduled_run(rt: Runtime, due: due_ticks.Due) -> str | None:
    """Run the integration of a claimed tick; its run id, or None when it did not start (the
    tick is put back when another run holds the integration). Never raises but cancellation."""
    from forcebridge.runs import AlreadyRunning, run_integration

    with log.bind(integration_id=due.integration_id, tenant_id=due.tenant_id):
        log.event(logger, "scheduled run starting", scheduled_for=due.scheduled_for)
        try:
            run_id = await run_integration(
                rt, due.tenant_id, due.integration_id,
                trigger="schedule", scheduled_for=due.scheduled_for,
                reconcile=None,  # the integration's reconcile schedule decides
            )
        except asyncio.CancelledError:
            # shutting down mid-run: the tick is due again, so the next start completes it
            due_ticks.release(rt.db, due)
            raise
        except AlreadyRunning:
            # another process runs it: put the tick back, it runs after that run ends
            await anyio.to_thread.run_sync(due_ticks.release, rt.db, due)
            log.event(logger, "scheduled run deferred: the integration is already running")
            return None
        except ForcebridgeError as exc:
            # disabled, disconnected or deleted between the claim and the start
            logger.warning(
                "scheduled run not started: %s", exc.message,
                extra={"fields": {"integration_id": due.integration_id}},
            )
            return None
        except Exception:
            logger.exception(
                "scheduled run crashed", extra={"fields": {"integration_id": due.integration_id}}
            )
            return None
        log.event(logger, "scheduled run ended", run_id=run_id)
        return run_id


async def queued_run(
    rt: Runtime, run_id: str, tenant_id: str, integration_id: str, *, full: bool,
    reconcile: bool,
) -> str | None:
    """A worker's run asked for through the API, console or CLI (scheduling.queued): start
    the queued run and take it to its end; None when it was no longer queued (a duplicate
    task) or could not start (it is then ended `failed`, saying why). Never raises but
    cancellation."""
    from forcebridge.runs import run_integration
    from forcebridge.services.run_lifecycle import NotQueued, end_queued

    with log.bind(run_id=run_id, integration_id=integration_id, tenant_id=tenant_id):
        try:
            await run_integration(rt, tenant_id, integration_id, full=full,
                                  reconcile=reconcile, queued_run_id=run_id)
        except NotQueued:
            log.event(logger, "queued run skipped: another worker started it, or it ended")
            return None
        except ForcebridgeError as exc:
            # disabled, disconnected or changed between the asking and the start
            await anyio.to_thread.run_sync(end_queued, rt, run_id, exc.message)
            logger.warning("queued run not started: %s", exc.message)
            return None
        except Exception:
            # before it started (the database away a moment): the scheduler sends it again
            logger.exception("queued run crashed")
            return None
        log.event(logger, "queued run ended")
        return run_id


async def dispatched_run(rt: Runtime, held: due_ticks.Due) -> str | None:
    """A worker's scheduled run: confirm the tick the scheduler held for it, then run it; None
    when the hold was lost meanwhile (the tick went to another task) or the run did not
    start."""
    confirmed = await anyio.to_thread.run_sync(due_ticks.confirm, rt.db, held, utcnow())
    if confirmed is None:
        log.event(logger, "scheduled run skipped: its tick was claimed again",
                  integration_id=held.integration_id)
        return None
    return await scheduled_run(rt, confirmed)
