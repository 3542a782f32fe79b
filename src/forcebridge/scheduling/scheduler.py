"""The scheduler: each pass starts the runs that are due and the periodic jobs.

A pass is `Scheduler.tick(now)`: it claims due ticks (`scheduling.due`) and starts one
asyncio task per claimed run, so a long run never holds up the next pass or other
integrations. A task still going for an integration keeps it out of later claims: its tick
stays due and becomes one catch-up run when the task ends. `tick(rt, now)` is the same pass
waiting for its runs, for tests (a fake `now`, no sleeping) and one-shot use.

Nothing that goes wrong in one run, in a job or in a pass stops the loop: it is logged with
the integration id and the next pass goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from forcebridge import log
from forcebridge.runtime import Runtime
from forcebridge.scheduling import due as due_ticks
from forcebridge.scheduling import work
from forcebridge.scheduling.jobs import JOBS, Job
from forcebridge.store.types import utcnow

logger = log.get("scheduling")


class Scheduler:
    """One per process; `start()` runs the loop in the current event loop until `stop()`."""

    def __init__(self, rt: Runtime, *, jobs: Sequence[Job] = JOBS) -> None:
        self.rt = rt
        self.jobs = tuple(jobs)
        self._runs: dict[str, asyncio.Task[str | None]] = {}
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None
        self.passes = 0

    @property
    def running(self) -> frozenset[str]:
        """Integrations with a scheduled run going in this process."""
        return frozenset(i for i, task in self._runs.items() if not task.done())

    async def tick(self, now: datetime) -> list[asyncio.Task[str | None]]:
        """Claim what is due at `now` and start a run task for each; the tasks started."""
        claimed = await asyncio.to_thread(
            due_ticks.claim_due, self.rt.db, now, skip=self.running
        )
        self._runs = {i: t for i, t in self._runs.items() if not t.done()}
        started = []
        for due in claimed:
            task = asyncio.create_task(self._run(due), name=f"run {due.integration_id}")
            self._runs[due.integration_id] = task
            started.append(task)
        return started

    async def _run(self, due: due_ticks.Due) -> str | None:
        return await work.scheduled_run(self.rt, due)

    def start_jobs(self) -> None:
        """Start each periodic job whose previous pass has ended (never two of one at once)."""
        for job in self.jobs:
            previous = self._jobs.get(job.name)
            if previous is not None and not previous.done():
                continue
            self._jobs[job.name] = asyncio.create_task(self._job(job), name=job.name)

    async def _job(self, job: Job) -> None:
        try:
            handled = await job.function(self.rt)
        except Exception:
            logger.exception("periodic job failed", extra={"fields": {"job": job.name}})
            return
        if handled:
            log.event(logger, "periodic job done", job=job.name, handled=handled)

    async def pass_once(self, now: datetime) -> None:
        """One pass of the loop: due runs, then the periodic jobs; never raises."""
        try:
            await self.tick(now)
        except Exception:
            # e.g. the database is unreachable for a moment: the next pass tries again
            logger.exception("scheduler pass failed")
        self.start_jobs()
        self.passes += 1

    async def run_forever(self) -> None:
        interval = self.rt.settings.scheduler_interval_seconds
        log.event(logger, "scheduler started", interval_seconds=interval)
        while True:
            await self.pass_once(utcnow())
            await asyncio.sleep(interval)

    def start(self) -> None:
        """Run the loop as a task of the running event loop."""
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self.run_forever(), name="forcebridge scheduler")

    async def stop(self) -> None:
        """Stop the loop and cancel what it started. A cancelled run puts its tick back, so
        the next scheduler to start runs it again (the engine makes that run safe to repeat)."""
        tasks = [t for t in (self._loop, *self._runs.values(), *self._jobs.values()) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop = None
        self._runs.clear()
        self._jobs.clear()
        log.event(logger, "scheduler stopped")


async def tick(rt: Runtime, now: datetime) -> list[str]:
    """One scheduler pass at `now`, waiting for the runs it starts; their run ids."""
    started = await Scheduler(rt).tick(now)
    ended = await asyncio.gather(*started)
    return [run_id for run_id in ended if run_id]
