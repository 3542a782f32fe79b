"""Where a run's changed records go: chunks written concurrently, results kept as they come.

Records arrive batch by batch; the sink cuts them into chunks of 200 and writes each as its
own task, at most the connection pool's level in flight (the pool limits the calls; this
bound keeps memory flat while the source is read ahead). As soon as a chunk is answered its
confirmed records are saved to the sync state and its rejections become events, in one
transaction (with the run's counts), so a run stopped at any point leaves a state that claims
nothing unconfirmed; a create's intent (`runs.intents`) covers the moment between Salesforce
answering and that transaction.

Bulk switch, decided on the first window of changes: of the first `bulk_threshold` changed
records of a run (upsert and mirror modes), `SENT_AS_READ` (one collections call) go out as
they come and the rest are held. A run whose source ends within that window writes the held
ones through collections too (200 a call: few calls, no job to wait for); a run with more
changes than that sends the held ones and all later ones through Bulk API 2.0 jobs of
`Settings.run_bulk_job_records` records, so a large run spends one collections call instead
of `bulk_threshold / 200`. One read of the source, no counting pass, and memory bounded by
the window and the jobs in flight. At most `BULK_JOBS_IN_FLIGHT` jobs are open at once.

Parent locks (`runs.parents`, `Settings.run_group_by_parent`): bulk records are routed into
`BULK_JOBS_IN_FLIGHT` lanes by parent, so jobs of different lanes share no parent and run side
by side; a job's records are sorted by parent and cut at the org's internal batch boundaries
(`parents.aligned`), so the batches of one job hold disjoint parents; and a job starts only when no job in flight references any of its parents
(it waits in a queue meanwhile, so one lane's job never holds back another lane's).
Salesforce holds a parent's lock for the whole of a batch's transaction, so a clash there makes
batches wait and fail; a collections call's transaction is short enough for the org's lock
wait to absorb a clash, so collections chunks are not held back.
Records that still fail `UNABLE_TO_LOCK_ROW` are set aside and written again at the end of the
run, one chunk at a time, before they could become events; so are the few children a lane's
last job leaves out so that none of its parents straddles two of the org's internal batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
from sqlalchemy import update
from sqlalchemy.orm import Session

from forcebridge.runs import intents, state
from forcebridge.runs.bulk import job_watch, upsert_job
from forcebridge.runs.parents import LOCK_CODE, Lanes, Parent, ParentsInFlight, by_parent
from forcebridge.runs.writer import Writer, Written
from forcebridge.runtime import Runtime
from forcebridge.salesforce import MAX_RECORDS_PER_COLLECTION
from forcebridge.services import events
from forcebridge.services.run_lifecycle import Counts
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run
from forcebridge.sync.diff import Diffed
from forcebridge.sync.mapper import MappingError


@dataclass(frozen=True)
class RunRef:
    """The run the sink writes for."""

    integration_id: str
    run_id: str
    org_id: str = ""  # whose sync state the run reads and writes (runs.org)


def record_answer(rt: Runtime, run: RunRef, written: Written, invalid: Sequence[MappingError] = (),
         removed: Sequence[str] = (), *, deleted: int = 0,
         progress: dict[str, int] | None = None) -> None:
    """Save confirmed states, forget removed keys and settled intents, record events, and add
    the answer's counts to the run's row, in one transaction."""
    if not (written.confirmed or written.rejected or written.intents or invalid or removed
            or deleted):
        return
    with rt.db.begin() as session:
        record_answer_in(session, run, written, invalid, removed, deleted=deleted, progress=progress)


def record_answer_in(session: Session, run: RunRef, written: Written,
            invalid: Sequence[MappingError] = (), removed: Sequence[str] = (), *,
            deleted: int = 0, progress: dict[str, int] | None = None) -> None:
    """`record_answer` in the caller's transaction."""
    state.save(session, run.integration_id, run.org_id, written.confirmed + written.unknown)
    state.remove(session, run.integration_id, run.org_id, removed)
    intents.forget(session, written.intents)
    session.execute(update(Run).where(Run.id == run.run_id).values(
        created=Run.created + written.created, updated=Run.updated + written.updated,
        failed=Run.failed + len(written.rejected) + len(invalid),
        deleted=Run.deleted + deleted, **(progress or {}),
    ))
    integration = session.get(Integration, run.integration_id)
    if integration is None:
        return
    failures = [
        events.EventInput(r.kind, r.message, r.key, r.code, r.fields, r.payload)
        for r in written.rejected
    ] + [
        events.EventInput("record_invalid", e.message, e.key, e.code,
                          [err.field for err in e.errors])
        for e in invalid
    ]
    if failures:
        events.record_many(session, integration=integration, run_id=run.run_id,
                           failures=failures)


def _refresh(rt: Runtime, run: RunRef, raw: Sequence[tuple[str, str]]) -> None:
    with rt.db.begin() as session:
        state.refresh(session, run.integration_id, run.org_id, raw)


# changes a run sends through collections as it reads them, before the first window is decided:
# a small run starts writing while it reads (its progress shows, a crash leaves less to redo),
# and a large one, which goes bulk, spends one call on them
SENT_AS_READ = MAX_RECORDS_PER_COLLECTION

# jobs open at once, and lanes of parents: two jobs of 50,000 keep the org's 10 batch slots
# busy (5 batches each) and a third waits in the org's queue, uploaded while they run, so a
# finished job's slots are taken at once, not after its results are read and the next job is
# uploaded; each job's records are held until its results are read (packed once its CSV is made)
BULK_JOBS_IN_FLIGHT = 3


class Sink:
    """Concurrent chunk writer of one run; `drain` waits, `cancel` stops what is in flight."""

    def __init__(
        self, rt: Runtime, run: RunRef, writer: Writer, counts: Counts, *,
        bulk_threshold: int | None,
    ) -> None:
        self.rt = rt
        self.run = run
        self.writer = writer
        self.counts = counts
        self.bulk_threshold = bulk_threshold  # None: this mode never goes bulk
        self.bulk = False
        self.changes = 0
        self.pending: list[Diffed] = []
        self.held: list[Diffed] = []  # changes of the first window, not sent yet
        self.sent_as_read = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(max(2, writer.client.pool.limit))
        self.bulk_slots = asyncio.Semaphore(BULK_JOBS_IN_FLIGHT)
        self.error: BaseException | None = None
        self.group_by_parent = rt.settings.run_group_by_parent and writer.references
        self.parents = ParentsInFlight()
        self.lanes = Lanes(BULK_JOBS_IN_FLIGHT) if self.group_by_parent else None
        self.parents_freed = asyncio.Event()
        self.waiting: list[tuple[list[Diffed], set[Parent]]] = []  # lane jobs not started yet
        self.locked: list[Diffed] = []  # failed UNABLE_TO_LOCK_ROW: written again at the end
        self.last: list[Diffed] = []  # left out of a lane's last job (`Lanes.rest`): likewise
        self.watch = job_watch(writer, rt.settings.run_bulk_poll_seconds)

    async def add(self, records: Sequence[Diffed]) -> None:
        if self.bulk:
            await self._job_room()
        self.changes += len(records)
        if self.bulk_threshold is not None and not self.bulk:
            if self.changes > self.bulk_threshold:
                self.bulk = True  # what was held, and what waited for a chunk, goes bulk too
                records, self.pending, self.held = [*self.pending, *self.held, *records], [], []
            else:
                room = max(0, SENT_AS_READ - self.sent_as_read)
                self.held.extend(records[room:])  # until it is known which way it goes
                records = records[:room]
                self.sent_as_read += len(records)
        size = self.rt.settings.run_bulk_job_records if self.bulk else MAX_RECORDS_PER_COLLECTION
        if self.bulk and self.lanes is not None:
            # only the new records are routed: those without a parent wait in `pending`
            self.pending.extend(self.lanes.add(records))
            for job in self.lanes.full(size):
                await self._queue(job)
        else:
            self.pending.extend(records)
        while len(self.pending) >= size:
            chunk, self.pending = self.pending[:size], self.pending[size:]
            await self._spawn(chunk)

    async def _job_room(self) -> None:
        """Hold the source while every job slot is taken: the next job's records are read
        once one ends (the job waiting in the org's queue covers that time), not held
        unpacked all the while."""
        while self.bulk_slots.locked():
            self.check()
            freed = self.parents_freed
            await freed.wait()

    async def flush(self) -> None:
        """Send what is pending, then wait for every chunk; raises a chunk's failure."""
        self.pending.extend(self.held)  # the run stayed within the window: collections
        self.held = []
        size = self.rt.settings.run_bulk_job_records if self.bulk else MAX_RECORDS_PER_COLLECTION
        while self.pending:
            chunk, self.pending = self.pending[:size], self.pending[size:]
            await self._spawn(chunk)
        if self.lanes is not None:
            jobs, last = self.lanes.rest(size)
            for job in jobs:
                await self._queue(job)
            self.last.extend(last)
            await self._start_waiting(0)
        if self.tasks:
            await asyncio.gather(*self.tasks)
        self.check()
        await self._write_last()

    async def _write_last(self) -> None:
        """Write the records that met a parent lock again, and those a lane's last job left
        out, one chunk at a time: nothing of this run is in flight any more, so only another
        client could hold their parents."""
        retry, self.locked, self.last = [*self.locked, *self.last], [], []
        for start in range(0, len(retry), MAX_RECORDS_PER_COLLECTION):
            written = await self.writer.write(retry[start:start + MAX_RECORDS_PER_COLLECTION])
            await self._keep(written)

    async def refresh(self, raw: Sequence[tuple[str, str]]) -> None:
        """Store new raw-row hashes of unchanged records (see sync.prepare)."""
        if raw:
            await anyio.to_thread.run_sync(_refresh, self.rt, self.run, raw)

    async def invalid(self, errors: Sequence[MappingError]) -> None:
        if errors:
            self.counts.failed += len(errors)
            progress = self.counts.progress()
            await anyio.to_thread.run_sync(
                lambda: record_answer(self.rt, self.run, Written(), errors, progress=progress))

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    async def _queue(self, job: list[Diffed]) -> None:
        """A job cut from a lane waits until no job in flight shares a parent with it; the
        source is read on meanwhile, as long as no more than `BULK_JOBS_IN_FLIGHT` wait."""
        self.waiting.append(by_parent(job))
        await self._start_waiting(BULK_JOBS_IN_FLIGHT)

    async def _start_waiting(self, limit: int) -> None:
        """Start, oldest first, every waiting job that shares no parent with a job in flight
        (one lane's job waiting for its predecessor does not hold back another lane's); then
        wait for jobs to end while more than `limit` are still waiting."""
        while True:
            self.check()
            for job in list(self.waiting):
                if self.bulk_slots.locked():
                    break
                records, parents = job
                if not self.parents.clashes(parents):
                    self.waiting.remove(job)
                    await self._start(records, True, parents)
            if len(self.waiting) <= limit:
                return
            freed = self.parents_freed
            await freed.wait()

    async def _spawn(self, chunk: list[Diffed]) -> None:
        self.check()
        bulk = self.bulk
        parents: set[Parent] = set()
        if bulk and self.group_by_parent:
            chunk, parents = by_parent(chunk)
            while self.parents.clashes(parents):
                freed = self.parents_freed
                await freed.wait()
                self.check()
        await self._start(chunk, bulk, parents)

    async def _start(self, chunk: list[Diffed], bulk: bool, parents: set[Parent]) -> None:
        if bulk:
            await self.bulk_slots.acquire()
        try:
            await self.slots.acquire()
        except BaseException:
            if bulk:
                self.bulk_slots.release()
            raise
        if self.error is not None:
            self.slots.release()
            if bulk:
                self.bulk_slots.release()
            raise self.error
        self.parents.take(parents)
        task = asyncio.create_task(self._send(chunk, bulk, parents))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _keep(self, written: Written) -> None:
        progress = self.counts.progress()
        await anyio.to_thread.run_sync(
            lambda: record_answer(self.rt, self.run, written, progress=progress))
        self.counts.created += written.created
        self.counts.updated += written.updated
        self.counts.failed += len(written.rejected)

    def _set_aside_locked(self, chunk: list[Diffed], written: Written) -> None:
        """Move records refused only for a parent lock out of `written` into `locked`."""
        locked = {r.key for r in written.rejected if r.code == LOCK_CODE}
        unknown = {c.key for c in written.unknown}
        locked -= unknown  # an outcome not known is not retried here
        if locked:
            written.rejected = [r for r in written.rejected if r.key not in locked]
            self.locked.extend(r for r in chunk if r.key in locked)

    async def _send(self, chunk: list[Diffed], bulk: bool, parents: set[Parent]) -> None:
        try:
            if bulk:
                written = await upsert_job(self.writer, chunk, self.watch)
            else:
                written = await self.writer.write(chunk)
            self._set_aside_locked(chunk, written)
            await self._keep(written)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # kept, raised by the run's next step
            if self.error is None:
                self.error = exc
        finally:
            self.slots.release()
            if bulk:
                self.bulk_slots.release()
            if parents:
                self.parents.give_back(parents)
            if bulk or parents:  # a waiting job may start now
                self.parents_freed.set()
                self.parents_freed = asyncio.Event()

    async def cancel(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
