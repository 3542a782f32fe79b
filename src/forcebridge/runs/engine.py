"""One run of an entity sync: claim, read, check, map, diff, write, mirror, end.

`run_integration` claims the integration's run lock (`services.run_lifecycle`), then streams
the source through `sync.prepare_all` one batch at a time in a worker thread (the source and the
sync-state lookups block; the event loop keeps writing meanwhile) and hands the changed
records to the `Sink`. After a source read to its end without error, mirror mode deletes from
Salesforce what the sync state holds but the source no longer has.

Whatever stops a run (authentication refused or revoked, API limit, the source unreadable,
mapping problems, Salesforce failing past the retries) ends it `failed` with one event saying
why; otherwise it is `succeeded` when no record failed, `partial` when some failed and others
were written, and `failed` when records failed and none was written (`services.run_lifecycle`).
An interruption (task cancelled, Ctrl-C) ends it failed as well and releases the lock; only a
process that dies outright leaves the lock, for the next run to take over once stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import anyio

from forcebridge import log
from forcebridge.runs import budget, cursor, intents, org, state
from forcebridge.runs.failures import INTERNAL_ERROR, failure_of
from forcebridge.runs.gc_pause import cyclic_gc_paused
from forcebridge.runs.reader import Reader
from forcebridge.runs.setup import (
    Described,
    Loaded,
    describe_for,
    entity_config,
    loaded,
    open_for,
    preparation_for,
)
from forcebridge.runs.sink import RunRef, Sink, record_answer
from forcebridge.runs.writer import Intend, Rejection, Writer, Written
from forcebridge.runtime import Runtime
from forcebridge.salesforce import (
    AuthorizationRevoked,
)
from forcebridge.services import api_usage, authorization
from forcebridge.services import integrations as integrations_service
from forcebridge.services import run_lifecycle as lifecycle
from forcebridge.services.run_lifecycle import Counts, Failure
from forcebridge.sources import Source, SqlSource
from forcebridge.sync.diff import Diffed, Differ
from forcebridge.sync.mapping import SyncMode
from forcebridge.sync.ownership import Ownership
from forcebridge.sync.plan import PlanError, check
from forcebridge.sync.prepare import PreparedBatch, prepare_all
from forcebridge.telemetry import tracing

GONE_CODES = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY"})
_logger = log.get("runs")


class RunProgress(Protocol):
    """Hears how a run goes (the CLI's progress bar)."""

    def started(self, total: int | None) -> None: ...

    def advance(self, read: int, counts: dict[str, int]) -> None: ...


class Job:
    """What one run works with: its ids, config, client, counts."""

    def __init__(self, rt: Runtime, run_id: str, loaded: Loaded, connection_id: str) -> None:
        self.rt = rt
        self.run_id = run_id
        self.loaded = loaded
        self.connection_id = connection_id
        self.counts = Counts()
        self.run = RunRef(loaded.integration_id, run_id)
        # the org's API budget, shared with everything else calling the org (runs.budget)
        loaded.client.budget = budget.for_run(rt, run_id, loaded.api_budget_share)

    async def reach_org(self) -> str:
        """Ask which org the connection reaches; the run's state is that org's (runs.org)."""
        org_id = await org.reached(self.loaded.client)
        await anyio.to_thread.run_sync(org.adopt, self.rt.db, self.loaded.integration_id, org_id)
        self.run = RunRef(self.loaded.integration_id, self.run_id, org_id)
        return org_id

    @property
    def api_calls(self) -> int:
        return self.loaded.client.calls

    def note_usage(self) -> None:
        """Keep the org's API usage as the run's last answer reported it (blocks)."""
        api_usage.note(self.rt.db, self.connection_id, self.loaded.client.usage)


async def start(
    rt: Runtime, tenant_id: str, ref: str, trigger: str, scheduled_for: datetime | None = None,
    queued_run_id: str | None = None,
) -> Job:
    """Claim the lock (or start the queued run holding it) and build the run's client, in one
    transaction."""

    def work() -> Job:
        with rt.db.begin() as session:
            integration = integrations_service.get(session, tenant_id, ref)
            entity_config(rt, integration)
            if queued_run_id is not None:
                run = lifecycle.adopt(session, rt, integration, queued_run_id)
            else:
                run = lifecycle.claim(session, rt, integration, trigger=trigger,
                                      scheduled_for=scheduled_for)
            assert integration.connection_id is not None
            return Job(rt, run.id, loaded(rt, session, integration), integration.connection_id)

    return await anyio.to_thread.run_sync(work)


def _ended_by(job: Job, exc: BaseException) -> Failure:
    """The failure `exc` ends the run with, after what it sets in motion (blocks): a revoked
    authorization marks the connection, an unexpected error goes to the server log."""
    failure = failure_of(exc)
    if isinstance(exc, AuthorizationRevoked):
        authorization.mark_needs_reauthorization(
            job.rt, job.loaded.tenant_id, job.connection_id, f"{exc.code}: {exc.message}"
        )
    elif failure.error_code == INTERNAL_ERROR:
        _logger.error("run failed unexpectedly", exc_info=exc,
                      extra={"fields": {"run_id": job.run_id}})
    return failure


async def supervise(job: Job, work: Callable[[Job], Awaitable[None]]) -> str:
    """Run `work` with a heartbeat and end the run whatever happens; returns the run id."""
    failure: Failure | None = None
    beat = asyncio.create_task(_beat(job))
    with log.bind(run_id=job.run_id, integration_id=job.loaded.integration_id), \
            tracing.span("run", **{"forcebridge.run_id": job.run_id,
                                   "forcebridge.integration_id": job.loaded.integration_id}):
        try:
            async with job.loaded.client:
                await work(job)
        except Exception as exc:  # every failure ends the run with its reason
            failure = await anyio.to_thread.run_sync(_ended_by, job, exc)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            beat.cancel()
            # no await may be trusted here: end the run synchronously, then go on stopping
            lifecycle.finish(job.rt, job.run_id, job.counts, job.api_calls,
                             Failure("the run was interrupted", "interrupted"))
            raise
        finally:
            beat.cancel()
        await anyio.to_thread.run_sync(
            lifecycle.finish, job.rt, job.run_id, job.counts, job.api_calls, failure
        )
        await anyio.to_thread.run_sync(job.note_usage)
    return job.run_id


async def _beat(job: Job) -> None:
    period = job.rt.settings.run_heartbeat_seconds
    while True:
        await asyncio.sleep(period)
        await anyio.to_thread.run_sync(
            lifecycle.heartbeat, job.rt, job.run_id, job.counts, job.api_calls
        )
        await anyio.to_thread.run_sync(job.note_usage)


async def run_integration(
    rt: Runtime, tenant_id: str, ref: str, *, trigger: str = "manual",
    scheduled_for: datetime | None = None, progress: RunProgress | None = None,
    full: bool = False, reconcile: bool | None = False, queued_run_id: str | None = None,
) -> str:
    """Run an entity sync now; returns the run id once it ended (whatever its status).

    `full` reads every row of a SQL source that has a cursor column (and the cursor restarts
    from what this run read). `reconcile` reads the org back and repairs it
    (runs.reconcile); None: when the integration's `reconcile` schedule says it is due (what
    scheduled runs pass). Raises NotFound, `AlreadyRunning` when another run holds the lock,
    and Conflict when the integration is disabled or not connected. `queued_run_id`: start
    that queued run (a worker's; `NotQueued` when another started it or it ended).
    """
    job = await start(rt, tenant_id, ref, trigger, scheduled_for, queued_run_id)
    if reconcile is not False:
        # runs.reconcile builds on this module, so it is imported when first needed
        from forcebridge.runs.reconcile import reconcile_due, reconcile_work

        due: bool = bool(reconcile) or await anyio.to_thread.run_sync(reconcile_due, job)
        if due:
            return await supervise(job, lambda j: reconcile_work(j, progress))
    return await supervise(job, lambda j: _sync(j, progress, full))


async def _sync(job: Job, progress: RunProgress | None, full: bool = False) -> None:
    with cyclic_gc_paused():
        await _sync_source(job, progress, full)


@dataclass
class Parts:
    """What a run reads and writes with: its source (read in `reader`'s thread), writer and
    sink, for the org `org_id` its connection reaches."""

    org_id: str
    source: Source
    reader: Reader
    writer: Writer
    sink: Sink


async def parts_of(job: Job) -> Parts:
    """Ask which org the run reaches, open the source, build the writer and sink."""
    config, rt = job.loaded.config, job.rt
    org_id = await job.reach_org()
    writer = Writer(job.loaded.client, config.mapping, config.mode,
                    rt.settings.run_write_attempts, intend=intender(job))
    bulk_ok = config.mode in (SyncMode.UPSERT, SyncMode.MIRROR)
    sink = Sink(rt, job.run, writer, job.counts,
                bulk_threshold=config.bulk_threshold if bulk_ok else None)
    source = open_for(rt, job.loaded.tenant_id, job.loaded.integration_id, config)
    return Parts(org_id, source, Reader(), writer, sink)


async def checked(job: Job, parts: Parts) -> Described:
    """The run's checks before any write (describe, the mapping against it and the source's
    columns), then what a dead run left settled against the org; the describe."""
    config = job.loaded.config
    columns = await parts.reader.call(parts.source.columns)
    described = await describe_for(job.loaded.client, config)
    problems = check(config.mapping, config.mode, described.lookup, columns)
    if problems:
        raise PlanError(problems)
    await intents.resolve(job.rt, job.loaded.integration_id, parts.org_id, parts.writer)
    return described


async def _sync_source(job: Job, progress: RunProgress | None, full: bool) -> None:
    config, rt = job.loaded.config, job.rt
    mode, counts = config.mode, job.counts
    parts = await parts_of(job)
    org_id, source, reader, writer, sink = (parts.org_id, parts.source, parts.reader,
                                            parts.writer, parts.sink)
    prepared: Iterator[PreparedBatch] | None = None
    try:
        described = await checked(job, parts)
        preparation = preparation_for(
            rt, job.loaded.integration_id, org_id, config, described.target)
        owned = Ownership.of(config.mapping, preparation.mapper.fields)
        differ = preparation.differ
        mark = await _read_from(job, source, preparation.fingerprint, full)
        prepared = prepare_all(source.batches(config.batch_size), config.filters.gate(),
                               preparation.mapper, differ)
        if progress is not None:
            progress.started(None)
        while (batch := await reader.next(prepared)) is not None:
            read = (batch.filtered + len(batch.errors) + len(batch.new) + len(batch.changed)
                    + len(batch.unchanged) + batch.skipped)
            with tracing.span("run batch", **{"forcebridge.batch.records": read,
                                              "forcebridge.batch.changed": len(batch.new)
                                              + len(batch.changed)}):
                counts.read += read
                counts.filtered += batch.filtered
                counts.unchanged += len(batch.unchanged) + batch.skipped
                await sink.invalid(batch.errors)
                await sink.refresh(batch.refresh)
                if mode is SyncMode.INSERT:  # insert never updates: a changed record stays as is
                    counts.unchanged += len(batch.changed)
                    await sink.add(batch.new)
                else:
                    await sink.add(owned.for_updates(batch.new, batch.changed, mode))
                if progress is not None:
                    progress.advance(counts.read, counts.as_dict())
        await sink.flush()
        if mark is not None and differ.finished and counts.failed == 0:
            await _advance(job, source, mark)
        if mode is SyncMode.MIRROR and differ.finished:
            await _mirror(job, writer, differ, reader)
            if progress is not None:
                progress.advance(counts.read, counts.as_dict())
    finally:
        await sink.cancel()
        reader.close(prepared)


def intender(job: Job) -> Intend:
    """How the run's writer records the intents of what it is about to create."""
    ext = job.loaded.config.mapping.resolved_external_id()

    async def intend(records: Sequence[Diffed], job_id: str | None) -> str:
        return await anyio.to_thread.run_sync(
            lambda: intents.record(job.rt.db, job.loaded.integration_id, job.run_id, records,
                                   ext, job_id, org_id=job.run.org_id))

    return intend


async def _read_from(
    job: Job, source: Source, mapping_fingerprint: str, full: bool
) -> str | None:
    """For a SQL source with a cursor column: set where it starts reading (runs.cursor; from
    the start when `full`) and answer the fingerprint the value is kept under; None for
    every other source."""
    if not (isinstance(source, SqlSource) and source.spec.cursor_column):
        return None
    mark = cursor.fingerprint(job.loaded.config, source.database, mapping_fingerprint)
    if not full:
        source.since = await anyio.to_thread.run_sync(
            cursor.load, job.rt.db, job.loaded.integration_id, job.run.org_id, mark
        )
    return mark


async def _advance(job: Job, source: Source, mark: str) -> None:
    """After a complete read with no failed record: the next run starts at the highest cursor
    value this one read (nothing read: where it started)."""
    assert isinstance(source, SqlSource)
    if source.highest is not None:
        await anyio.to_thread.run_sync(
            cursor.save, job.rt.db, job.loaded.integration_id, job.run.org_id, mark,
            source.highest, job.run_id,
        )


async def _mirror(job: Job, writer: Writer, differ: Differ, reader: Reader) -> None:
    """Delete from Salesforce what left the source (by Salesforce id), and forget it."""
    rt, iid = job.rt, job.loaded.integration_id
    pages = state.pages(rt.db, iid, job.run.org_id)
    try:
        while (page := await reader.next(pages)) is not None:
            gone = [(k, i) for k, i in page if k not in differ.seen]
            for start in range(0, len(gone), 200):
                await delete_chunk(job, writer, gone[start : start + 200])
    finally:
        await reader.call(pages.close)


async def delete_chunk(job: Job, writer: Writer, chunk: list[tuple[str, str | None]]) -> None:
    with_id = [(k, i) for k, i in chunk if i]
    removed: list[str] = []
    out = Written()
    deleted = 0
    results = await writer.delete([i for _, i in with_id]) if with_id else []
    for (key, sf_id), result in zip(with_id, results, strict=True):
        codes = {e.code for e in result.errors}
        if result.success:
            deleted += 1
            removed.append(key)
        elif codes & GONE_CODES:  # someone deleted it in Salesforce already
            removed.append(key)
        else:
            first = result.errors[0] if result.errors else None
            out.rejected.append(Rejection(
                key, first.code if first else "UNKNOWN_ERROR",
                f"could not delete {sf_id}, which left the source: "
                + "; ".join(e.message for e in result.errors),
                sorted({f for e in result.errors for f in e.fields}), None, "delete_rejected",
            ))
    removed += [k for k, i in chunk if not i]  # never confirmed with an id: nothing to delete
    progress = job.counts.progress()
    await anyio.to_thread.run_sync(
        lambda: record_answer(job.rt, job.run, out, (), removed, deleted=deleted, progress=progress))
    job.counts.deleted += deleted
    job.counts.failed += len(out.rejected)

