"""Read-back reconciliation: check the org against what the integration wrote, and repair it.

A reconciling run reads back from the org what the integration owns: one query (Bulk API 2.0
when the org's state holds more than the integration's `bulk_threshold` records, SOQL
otherwise) of `Id`, the external id, `SystemModstamp` and the compared fields
(`sync.readback`) of every record with an external id. While that query runs and its pages
come in, the run reads the whole source through its own pipeline (filter, map, diff against
the sync state; no cursor: every row is compared); each record is settled as soon as its org
row and it have both been read (`runs.matching`), and its repair is written while the two reads
go on. A row unchanged since its last write (its raw hash) is held unmapped (`sync.diff.Held`)
and is unchanged when the org's row has the id and the field digests that write left in the
state; any other is mapped and settled as follows:

- not in the org: `missing` when the state says it was written; sent again in full (a
  create), whatever the state says;
- in the org under another id than the state's, or one the state lost: `relinked`; the
  state takes the org's id;
- changed in the source since the last write: written as a normal run writes it;
- otherwise its compared fields are the org's; a source-owned field that differs was changed
  in Salesforce since forcebridge wrote it: the record is `drifted`, and each such field is
  rewritten, kept or kept with a `field_conflict` event by its `on_conflict`
  (`sync.ownership`); Salesforce-owned fields are never compared as drift.

Org records that the state links to a key the source no longer has are `orphaned`: deleted
(and forgotten) in mirror mode, counted otherwise. The counts land in the run's
`reconciliation` next to its usual counts; repairs count as `created` / `updated`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import anyio
from croniter import croniter
from sqlalchemy import func, select, update

from forcebridge import log
from forcebridge.runs import org, state
from forcebridge.runs.engine import Job, RunProgress, checked, delete_chunk, parts_of
from forcebridge.runs.gc_pause import cyclic_gc_paused
from forcebridge.runs.matching import ID_BYTES, Matching, ReconcilePlan, Reconciliation, Settled
from forcebridge.runs.reader import Reader
from forcebridge.runs.sink import SENT_AS_READ, record_answer
from forcebridge.runs.writer import Writer, Written
from forcebridge.salesforce import BULK_QUERY_PAGE_RECORDS, SalesforceClient
from forcebridge.services import events
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Event, Run
from forcebridge.store.types import utcnow
from forcebridge.sync.config import RECONCILE_EVERY
from forcebridge.sync.diff import Diffed, Differ, Held
from forcebridge.sync.mapper import compile_mapping
from forcebridge.sync.mapping import SyncMode
from forcebridge.sync.prepare import mapping_fingerprint, prepare_all

_logger = log.get("runs.reconcile")
CONFLICT_CODE = "FIELD_CHANGED_IN_SALESFORCE"


SOQL_PAGE = 2000  # records per page of a REST query answer
_NOTIFY_EVERY = 2000  # org rows read between wake-ups of a source waiting for them
BULK_POLLS = 4  # status calls a query job usually takes


def estimate_calls(org_records: int, sends: int, bulk_threshold: int, *, mirror_deletes: int = 0,
                   job_records: int = 50_000) -> int:
    """API calls a reconciling run makes at most, known beforehand: describe and identity
    (which org, when the token does not say), reading back `org_records` (SOQL pages, or a
    query job: create, polls, result pages), writing `sends` records (collections of 200, or
    past `bulk_threshold` the records sent as read and then ingest jobs of `job_records`, see
    runs.sink) and deleting orphans (200 a call). Missing and drifted records are only known
    once read: each adds at most a share of one write call."""
    calls = 2
    if org_records > bulk_threshold:
        calls += 1 + BULK_POLLS + -(-org_records // BULK_QUERY_PAGE_RECORDS)
    else:
        calls += max(1, -(-org_records // SOQL_PAGE))
    if sends > bulk_threshold:
        as_read = min(SENT_AS_READ, bulk_threshold)
        calls += -(-as_read // 200) + 7 * -(-(sends - as_read) // max(1, job_records))
    else:
        calls += -(-sends // 200)
    return calls + -(-mirror_deletes // 200)


def reconcile_due(job: Job) -> bool:
    """Whether a scheduled run of the integration reconciles: its `reconcile` schedule is not
    off, and no reconciling run started since that schedule last came due (daily, weekly:
    that many hours ago; cron: its latest tick)."""
    every = job.loaded.config.reconcile
    if every == "off":
        return False
    with job.rt.db.session() as session:
        last = session.scalar(
            select(func.max(Run.started_at)).where(
                Run.integration_id == job.loaded.integration_id,
                Run.reconciliation.is_not(None), Run.id != job.run_id,
            )
        )
    if last is None:
        return True
    now = utcnow()
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if every in RECONCILE_EVERY:
        return now - last >= timedelta(hours=RECONCILE_EVERY[every])
    latest: datetime = croniter(every, now).get_prev(datetime)
    return latest > last


async def reconcile_work(job: Job, progress: RunProgress | None) -> None:
    """The work of a reconciling run (`run_integration(reconcile=True)`)."""
    found = Reconciliation()
    try:
        with cyclic_gc_paused():
            await _work(job, progress, found)
    finally:
        await anyio.to_thread.run_sync(_keep_found, job, found)


def _keep_found(job: Job, found: Reconciliation) -> None:
    with job.rt.db.begin() as session:
        session.execute(update(Run).where(Run.id == job.run_id)
                        .values(reconciliation=found.as_dict()))
    log.event(_logger, "reconciled", run_id=job.run_id, **found.as_dict())


async def _read_org(
    client: SalesforceClient, plan: ReconcilePlan, bulk: bool, match: Matching, poll_seconds: float,
) -> None:
    """Every record of the target that has an external id, into `match`."""
    match.found.read_with = "bulk" if bulk else "soql"
    try:
        if bulk:
            seen = await _read_blocks(client, plan, match, poll_seconds)
        else:
            seen = await _read_pages(client, plan, match)
        match.found.org_records = seen
        match.org_done()
    finally:
        match.moved.set()  # a source waiting for the org hears of its end, or its failure


async def _read_blocks(
    client: SalesforceClient, plan: ReconcilePlan, match: Matching, poll_seconds: float,
) -> int:
    """A Bulk API 2.0 query's rows, a block at a time (lists of text, no dict per row)."""
    ext = plan.external_id
    assert ext is not None
    seen = 0
    org_row = match.org_row
    blocks = client.query_bulk_blocks(plan.soql(), poll_interval=poll_seconds)
    async with contextlib.aclosing(blocks) as pages:
        async for header, rows in pages:
            names = [h.lower() for h in header]
            at_ext, at_id = names.index(ext.lower()), names.index("id")
            width = len(header)
            rows = [row for row in rows if len(row) >= width and row[at_ext]]
            packed = plan.compared.pack_rows(header, rows)
            for row, digests in zip(rows, packed, strict=True):
                org_row(row[at_ext], row[at_id].encode()[:ID_BYTES].ljust(ID_BYTES) + digests)
            seen += len(rows)
            if match.matched:
                match.moved.set()
    return seen


async def _read_pages(client: SalesforceClient, plan: ReconcilePlan, match: Matching) -> int:
    """A SOQL query's records, page by page."""
    ext = plan.external_id
    assert ext is not None
    pack = plan.compared.pack
    seen = 0
    async for row in client.query(plan.soql()):
        value = row.get(ext)
        if value is None or value == "":
            continue
        match.org_row(str(value), str(row["Id"]).encode()[:ID_BYTES].ljust(ID_BYTES) + pack(row))
        seen += 1
        if seen % _NOTIFY_EVERY == 0 and match.matched:
            match.moved.set()
    return seen


async def _work(job: Job, progress: RunProgress | None, found: Reconciliation) -> None:
    config, client, rt = job.loaded.config, job.loaded.client, job.rt
    mode, counts, iid = config.mode, job.counts, job.loaded.integration_id
    parts = await parts_of(job)
    org_id, source, reader, writer, sink = (parts.org_id, parts.source, parts.reader,
                                            parts.writer, parts.sink)
    prepared = None
    reading: asyncio.Task[None] | None = None
    try:
        described = await checked(job, parts)
        mapper = compile_mapping(config.mapping, described.target, mode)
        plan = ReconcilePlan(mapper, described.target, mode)
        # a row unchanged since its last write is held unmapped and checked against the
        # org's by the digests of that write; every other row is mapped and compared
        differ = Differ(state.StoredState(rt.db, iid, org_id), scope=mapper.scope,
                        track_seen=False,
                        fingerprint=mapping_fingerprint(config.mapping, described.target, mode),
                        compared=plan.compared, hold=mapper.field_of(plan.external_id or ""))
        held = await anyio.to_thread.run_sync(org.records, rt.db, iid, org_id)
        match = Matching(plan, found, rt.settings.run_reconcile_read_ahead)
        reading = asyncio.create_task(_read_org(
            client, plan, held > config.bulk_threshold, match, rt.settings.run_bulk_poll_seconds))
        prepared = prepare_all(source.batches(config.batch_size), config.filters.gate(),
                               mapper, differ)
        if progress is not None:
            progress.started(None)

        async def settle(pairs: list[tuple[Diffed | Held, bytes | None]]) -> None:
            if not pairs:
                return
            settled = plan.settle(pairs, differ, found)
            counts.unchanged += settled.unchanged
            await sink.invalid(settled.errors)
            if settled.confirm or settled.conflicts:
                await anyio.to_thread.run_sync(_remember, job, settled)
            await sink.add(settled.send)

        while (batch := await reader.next(prepared)) is not None:
            counts.read += (batch.filtered + len(batch.errors) + len(batch.new)
                            + len(batch.changed) + len(batch.unchanged) + len(batch.held)
                            + batch.skipped)
            counts.filtered += batch.filtered
            await sink.invalid(batch.errors)
            await sink.refresh(batch.refresh)
            match.source(batch.new + batch.changed + batch.unchanged, batch.held)
            await settle(match.take())
            while match.full:  # the org read is behind: let it catch up
                if reading.done():
                    reading.result()
                match.moved.clear()
                await match.moved.wait()
                await settle(match.take())
            if reading.done():
                reading.result()  # a failed read fails the run now
            if progress is not None:
                progress.advance(counts.read, counts.as_dict())
        await reading
        await settle(match.take())
        await sink.flush()
        if differ.finished:
            await _orphans(job, writer, match.index, found, reader)
    finally:
        if reading is not None and not reading.done():
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
        await sink.cancel()
        reader.close(prepared)


def _remember(job: Job, settled: Settled) -> None:
    """Relinked states and conflict events of one batch, in one transaction."""
    record_answer(job.rt, job.run, Written(confirmed=settled.confirm))
    if not settled.conflicts:
        return
    with job.rt.db.begin() as session:
        integration = session.get(Integration, job.loaded.integration_id)
        if integration is None:
            return
        # a conflict still open from an earlier reconciliation is not opened twice
        keys = [record.key for record, _ in settled.conflicts]
        already = set(session.scalars(select(Event.record_key).where(
            Event.integration_id == integration.id, Event.kind == "field_conflict",
            Event.status == "open", Event.record_key.in_(keys))))
        for record, fields in settled.conflicts:
            if record.key in already:
                continue
            events.record(
                session, integration=integration, run_id=job.run_id, kind="field_conflict",
                message=f"{', '.join(fields)} changed in Salesforce since forcebridge last "
                "wrote it; Salesforce's value is kept (on_conflict: event). Set on_conflict "
                "to overwrite and reconcile to write the source's value.",
                record_key=record.key, error_code=CONFLICT_CODE, fields=fields,
                payload=record.payload,
            )


async def _orphans(job: Job, writer: Writer, index: dict[str, bytes], found: Reconciliation,
                   reader: Reader) -> None:
    """Org records the state links to a key the source no longer has."""
    left = {hit[:ID_BYTES].decode() for hit in index.values()}
    if not left:
        return
    pages = state.pages(job.rt.db, job.loaded.integration_id, job.run.org_id)
    try:
        while (page := await reader.next(pages)) is not None:
            orphans: list[tuple[str, str | None]] = [(k, i) for k, i in page if i and i in left]
            found.orphaned += len(orphans)
            if job.loaded.config.mode is SyncMode.MIRROR:
                for start_at in range(0, len(orphans), 200):
                    await delete_chunk(job, writer, orphans[start_at : start_at + 200])
    finally:
        await reader.call(pages.close)
