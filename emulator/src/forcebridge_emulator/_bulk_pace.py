"""How long a real org takes to process a Bulk API 2.0 ingest job.

Salesforce splits a job's data into internal batches of 10,000 records and processes them in
parallel with the other batches of the job and of other jobs in the org; a batch that cannot
be processed within 5 minutes fails (Bulk API 2.0 Developer Guide, "How Requests Are
Processed"). The emulator applies rows far faster than any org, so without a model a client
that splits its data into many small jobs, or waits for one job at a time, looks as fast as
one that uses the org well. With `bulk_rate` set, each internal batch takes at least
`rows / bulk_rate` seconds, and at most `bulk_parallel` batches are processed at once across
the whole org (a slot is held for the batch's whole modelled time); a job completes when its
last batch does. Rows are still applied as they are reached, so reads during processing see
them as they would in an org that commits batch by batch.
"""

from __future__ import annotations

import asyncio
import time

from forcebridge_emulator._faults import Faults
from forcebridge_emulator._parent_locks import ParentLocks


class BulkPace:
    """The org-wide slots internal batches wait for, sized from the faults in force."""

    def __init__(self, faults: Faults, locks: ParentLocks | None = None) -> None:
        self._faults = faults
        self._locks = locks
        self._slots: asyncio.Semaphore | None = None
        self._slots_key: tuple[int, asyncio.AbstractEventLoop] | None = None

    def for_job(self) -> JobPace | None:
        """The pacing of one job about to be processed; None when the model is off."""
        config = self._faults.config
        if config.bulk_rate <= 0:
            return None
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_key != (config.bulk_parallel, loop):
            self._slots = asyncio.Semaphore(config.bulk_parallel)
            self._slots_key = (config.bulk_parallel, loop)
        locks = self._locks if self._locks is not None and self._locks.enabled else None
        return JobPace(self._slots, config.bulk_rate, config.bulk_batch, locks)


class JobPace:
    """One job's internal batches: each waits for a slot, holds it for its modelled time."""

    def __init__(
        self,
        slots: asyncio.Semaphore,
        rate: int,
        batch_rows: int,
        locks: ParentLocks | None = None,
    ) -> None:
        self.batch_rows = batch_rows
        self.locks = locks  # parents a batch locks are held until its time is up
        self._slots = slots
        self._rate = rate
        self._open: tuple[int, float] | None = None  # (first row index, monotonic start)
        self.owner: object = None  # the open batch, as the holder of its parents' locks
        self._timers: list[asyncio.Task[None]] = []

    def rows_until_boundary(self, index: int) -> int:
        """How many rows from `index` still belong to the batch `index` is in."""
        return self.batch_rows - index % self.batch_rows

    async def at(self, index: int) -> None:
        """Called before applying row `index`: a new batch starts at every boundary."""
        if index % self.batch_rows != 0 and self._open is not None:
            return
        self._close(index)
        await self._slots.acquire()
        self._open = (index, time.monotonic())
        self.owner = object()

    @property
    def rate(self) -> int:
        return self._rate

    async def start_batch(self) -> object:
        """Wait for an org slot for a batch processed on its own (`_bulk_locked`); the token
        that holds its parents' locks."""
        await self._slots.acquire()
        return object()

    def end_batch(self, owner: object) -> None:
        """The batch `start_batch` began is done: its slot and its parents are free."""
        self._slots.release()
        if self.locks is not None:
            self.locks.release(owner)

    def keep(self, task: asyncio.Task[None]) -> None:
        """A batch's task, cancelled with the job (`cancel`)."""
        self._timers.append(task)

    async def finish(self, index: int) -> None:
        """The job's rows are all applied: wait until its last batch's time is up."""
        self._close(index)
        if self._timers:
            await asyncio.gather(*self._timers)

    def cancel(self) -> None:
        """Give back every slot at once (the job failed or was aborted)."""
        if self._open is not None:
            self._open = None
            self._slots.release()
            if self.locks is not None:
                self.locks.release(self.owner)
        for timer in self._timers:
            timer.cancel()

    def _close(self, index: int) -> None:
        if self._open is None:
            return
        first, started = self._open
        self._open = None
        remaining = (index - first) / self._rate - (time.monotonic() - started)
        timer = self._release(remaining, self.owner)
        self._timers.append(asyncio.get_running_loop().create_task(timer))

    async def _release(self, after: float, owner: object) -> None:
        try:
            if after > 0:
                await asyncio.sleep(after)
        finally:
            self._slots.release()
            if self.locks is not None:
                self.locks.release(owner)
