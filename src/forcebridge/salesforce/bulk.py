"""Bulk API 2.0 ingest: create a job, stream the CSV up, close it, wait, stream the results back.

Lifecycle (Bulk API 2.0 Developer Guide, "Create a Job", "Upload Job Data", "Close or Abort a
Job", "Get Job Information", "Get Job Successful/Failed Record Results"):
POST `jobs/ingest` -> PUT the job's `contentUrl` (text/csv) -> PATCH state UploadComplete ->
poll GET `jobs/ingest/{id}` until JobComplete, Failed or Aborted -> GET `successfulResults/`,
`failedResults/`, `unprocessedrecords/` as CSV. Job JSON has `contentUrl` without a leading
slash and result CSVs start with quoted `"sf__Id","sf__Created"` / `"sf__Id","sf__Error"`
columns (sf-recordings Fact 8, restforce bulk fixtures). Neither direction holds the whole
CSV in memory: the upload reads from an async iterable, the results are parsed line by line.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from forcebridge.salesforce.errors import RecordError, RetryableError
from forcebridge.salesforce.query import soql_name

if TYPE_CHECKING:
    from forcebridge.salesforce.session import ApiSession, Body

Operation = Literal["insert", "update", "upsert", "delete", "hardDelete"]
ResultKind = Literal["successfulResults", "failedResults", "unprocessedrecords"]
TERMINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
BULK_CHUNK_BYTES = 64 * 1024
# seconds a record: before a watch learns the org's pace, no job is taken to be done sooner
# (50,000 records a second; Salesforce gives no figure, but an internal batch of 10,000 takes
# seconds: "a few seconds" is what its Bulk API guide tunes batch sizes for)
FASTEST_PACE = 1 / 50_000


@dataclass(frozen=True)
class BulkJob:
    id: str
    object: str
    operation: str
    state: str
    content_url: str | None = None
    records_processed: int = 0
    records_failed: int = 0
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any], *, job_id: str = "") -> BulkJob:
        """`job_id`: the id we asked about, for answers that leave it out (restforce's
        close-job fixture answers only the state)."""
        return cls(
            id=str(body.get("id") or job_id),
            object=str(body.get("object") or ""),
            operation=str(body.get("operation") or ""),
            state=str(body.get("state") or ""),
            content_url=body.get("contentUrl"),
            records_processed=int(body.get("numberRecordsProcessed") or 0),
            records_failed=int(body.get("numberRecordsFailed") or 0),
            error_message=body.get("errorMessage") or None,
            raw=body,
        )

    @property
    def done(self) -> bool:
        return self.state in TERMINAL_STATES


def _job_path(session: ApiSession, job_id: str, tail: str = "") -> str:
    return session.data_path(f"jobs/ingest/{job_id}{tail}")


async def create_job(
    session: ApiSession,
    sobject: str,
    operation: Operation,
    *,
    external_id_field: str | None = None,
) -> BulkJob:
    body: dict[str, Any] = {
        "object": soql_name(sobject),
        "operation": operation,
        "contentType": "CSV",
        "lineEnding": "LF",
        "columnDelimiter": "COMMA",
    }
    if operation == "upsert":
        if not external_id_field:
            raise ValueError("an upsert job needs external_id_field")
        body["externalIdFieldName"] = soql_name(external_id_field)
    response = await session.request(
        "POST", session.data_path("jobs/ingest"), json=body, idempotent=False
    )
    return BulkJob.from_json(response.json())


async def upload(session: ApiSession, job: BulkJob, data: Body) -> None:
    """PUT the CSV (bytes, str, an async iterable of bytes, or a callable making one; only
    the last two are streamed, and only the callable can be sent again after a failure)."""
    path = (
        "/" + job.content_url.lstrip("/")
        if job.content_url
        else _job_path(session, job.id, "/batches")
    )
    await session.request(
        "PUT", path, content=data, headers={"Content-Type": "text/csv"}, idempotent=False
    )


async def set_state(session: ApiSession, job: BulkJob, state: str) -> BulkJob:
    response = await session.request("PATCH", _job_path(session, job.id), json={"state": state})
    return BulkJob.from_json(response.json(), job_id=job.id)


async def close(session: ApiSession, job: BulkJob) -> BulkJob:
    return await set_state(session, job, "UploadComplete")


async def abort(session: ApiSession, job: BulkJob) -> BulkJob:
    return await set_state(session, job, "Aborted")


async def status(session: ApiSession, job_id: str) -> BulkJob:
    response = await session.request("GET", _job_path(session, job_id))
    return BulkJob.from_json(response.json(), job_id=job_id)


async def wait(
    session: ApiSession,
    job: BulkJob,
    *,
    poll_interval: float = 1.0,
    max_interval: float = 10.0,
    max_wait: float = 3600.0,
) -> BulkJob:
    """Poll until the job is JobComplete, Failed or Aborted (the wait grows by half each time)."""
    deadline = time.monotonic() + max_wait
    interval = poll_interval
    current = job
    while not current.done:
        if time.monotonic() >= deadline:
            raise RetryableError("BULK_TIMEOUT", f"job {job.id} still {current.state}")
        await asyncio.sleep(interval)
        interval = min(max_interval, interval * 1.5)
        current = await status(session, job.id)
    return current


class JobWatch:
    """Waits for the ingest jobs of one caller with one status round for all of them.

    Bulk API 2.0 "Get All Jobs" (`GET jobs/ingest`, up to 1,000 jobs a page) lists every job
    of the org with its state, so while two or more jobs are open one call answers for all;
    a single open job is asked about alone (`GET jobs/ingest/{id}`, as cheap and it carries
    the counts), and so is every job once the org's listing takes more pages than there are
    open jobs. A job the listing shows Failed or Aborted is asked about once more, for its
    error message.

    When to ask: each job is first asked about `poll_interval` after it was closed, or later
    for a large job (not before `FASTEST_PACE` says it could be done), or in the round already
    due for the others; then at waits growing by half up to `max_interval`; a
    job joining open ones keeps to their grown wait (the org is as slow with it). Once a job
    of known size finished, the org's pace is known (seconds a record: the time it was last
    seen open, the fastest of the jobs), and a later job is first asked about when that pace
    says it could be done, then every tenth of that time, so a run's later jobs cost a round
    or two and are seen soon after they finish."""

    def __init__(
        self,
        session: ApiSession,
        *,
        poll_interval: float = 1.0,
        max_interval: float = 10.0,
        max_wait: float = 3600.0,
    ) -> None:
        self._session = session
        self._poll_interval = poll_interval
        self._max_interval = max_interval
        self._max_wait = max_wait
        self._waiting: dict[str, _Waiting] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._listing = True
        self._pace: float | None = None  # seconds a record, the fastest job seen

    async def wait(self, job: BulkJob, records: int | None = None) -> BulkJob:
        """The job once JobComplete, Failed or Aborted (BULK_TIMEOUT past `max_wait`);
        `records`: how many it holds, to learn and use the org's pace."""
        if job.done:
            return job
        now = time.monotonic()
        first = self._poll_interval
        if records:
            first = max(first, records * (self._pace or FASTEST_PACE))
        next_ask = now + first
        # then: at that wait growing (no pace yet), or every tenth of the time the pace gives
        interval = (min(self._max_interval, first) if self._pace is None
                    else max(self._poll_interval, first / 10))
        if self._waiting:  # no round of its own before the next one already due
            others = self._waiting.values()
            next_ask = max(next_ask, min(w.next_ask for w in others))
            if self._pace is None:  # the org is as slow with this job as with the others
                interval = max(interval, min(w.interval for w in others))
        waiting = _Waiting(asyncio.get_running_loop().create_future(), now, records,
                           next_ask, interval, now + self._max_wait, now)
        self._waiting[job.id] = waiting
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            return await waiting.future
        finally:
            if self._waiting.get(job.id) is waiting:
                del self._waiting[job.id]

    def _open(self) -> dict[str, _Waiting]:
        return {i: w for i, w in self._waiting.items() if not w.future.done()}

    async def _poll(self) -> None:
        while waiting := self._open():
            due = min(w.next_ask for w in waiting.values())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):  # a new job may be due sooner
                await asyncio.wait_for(self._wake.wait(), max(0.0, due - time.monotonic()))
            now = time.monotonic()
            waiting = self._open()
            if not waiting or min(w.next_ask for w in waiting.values()) > now:
                continue
            try:
                states = await self._round(list(waiting))
            except BaseException as exc:
                for w in waiting.values():
                    if not w.future.done():
                        w.future.set_exception(exc)
                if isinstance(exc, Exception):
                    continue  # every waiter heard it; whoever waits next starts afresh
                raise
            self._heard(waiting, states, time.monotonic())

    def _heard(self, waiting: dict[str, _Waiting], states: dict[str, BulkJob], now: float) -> None:
        """Settle the jobs a round found done; set when to ask about the others again (every
        open job was just asked about, due or not)."""
        learned = False
        for job_id, w in waiting.items():
            current = states.get(job_id)
            if w.future.done():
                continue
            if current is not None and current.done:
                if w.records and current.state == "JobComplete" and w.seen_open > w.closed:
                    # it was still open when last asked: a pace no faster than the org's
                    pace = (w.seen_open - w.closed) / w.records
                    self._pace = pace if self._pace is None else min(self._pace, pace)
                    learned = True
                w.future.set_result(current)
            elif now >= w.deadline:
                state = current.state if current is not None else "unknown"
                w.future.set_exception(
                    RetryableError("BULK_TIMEOUT", f"job {job_id} still {state}"))
            else:
                w.seen_open = now
                if w.next_ask <= now:
                    w.next_ask = now + w.interval
                    w.interval = min(self._max_interval, w.interval * 1.5)
                else:
                    w.next_ask = max(w.next_ask, now + w.interval)
        if learned and self._pace is not None:
            for w in waiting.values():
                if not w.future.done():
                    w.next_ask, w.interval = paced_ask(
                        w.closed, w.records or 0, self._pace, now, self._poll_interval)

    async def _round(self, job_ids: list[str]) -> dict[str, BulkJob]:
        seen: dict[str, BulkJob] = {}
        if len(job_ids) > 1 and self._listing:
            wanted = set(job_ids)
            path: str | None = self._session.data_path("jobs/ingest")
            params: dict[str, str] | None = {"jobType": "V2Ingest"}
            pages = 0
            while path is not None and len(seen) < len(wanted):
                body = (await self._session.request("GET", path, params=params)).json()
                pages += 1
                for item in body.get("records") or []:
                    if item.get("id") in wanted:
                        seen[item["id"]] = BulkJob.from_json(item)
                more = not body.get("done", True) and body.get("nextRecordsUrl")
                path, params = (str(more), None) if more else (None, None)
            if pages > len(job_ids):
                self._listing = False  # asking each job is cheaper in this org
        for job_id in job_ids:
            listed = seen.get(job_id)
            if listed is None or listed.state in ("Failed", "Aborted"):
                seen[job_id] = await status(self._session, job_id)
        return seen


def paced_ask(
    closed: float, records: int, pace: float, now: float, poll_interval: float
) -> tuple[float, float]:
    """When to ask next about a job closed at `closed`, once the org's pace (seconds a record,
    a lower bound) is known, and the wait after that: when the pace says it could be done;
    a job already past that is finishing, so soon, at a tenth of its expected time (not at an
    interval grown while it was young)."""
    expected = closed + records * pace
    step = max(poll_interval, (max(expected, now) - closed) / 10)
    return (expected if expected > now else now + step), step


@dataclass
class _Waiting:
    """One job a watch waits for: when it was closed, when to ask next, how long it may take."""

    future: asyncio.Future[BulkJob]
    closed: float
    records: int | None
    next_ask: float
    interval: float
    deadline: float
    seen_open: float  # when it was last known not done


async def ingest(
    session: ApiSession,
    sobject: str,
    operation: Operation,
    data: Body,
    *,
    external_id_field: str | None = None,
    poll_interval: float = 1.0,
    max_interval: float = 10.0,
    max_wait: float = 3600.0,
    on_created: Callable[[BulkJob], Awaitable[None]] | None = None,
    on_closed: Callable[[BulkJob], None] | None = None,
    watch: JobWatch | None = None,
    records: int | None = None,
) -> BulkJob:
    """The whole lifecycle; answers the finished job (check `state`; `records_failed` is
    only known when the job was asked about alone). A failed upload aborts the job so it does
    not linger open in the org. `on_created` hears the job's id before any data goes up (a
    caller that may die records it, to find the job again); `on_closed` hears that all of it
    is up (the data will not be asked for again: its caller may let go of it). With `watch`,
    the job is waited for with the watch's other jobs (its intervals apply, not the ones given
    here); `records`, how many the job holds, lets the watch learn the org's pace."""
    job = await create_job(session, sobject, operation, external_id_field=external_id_field)
    try:
        if on_created is not None:
            await on_created(job)
        await upload(session, job, data)
        job = await close(session, job)
    except BaseException:
        try:
            await abort(session, job)
        except Exception:  # noqa: S110 - the upload's own error is the one that matters
            pass
        raise
    if on_closed is not None:
        on_closed(job)
    if watch is not None:
        job = await watch.wait(job, records)
    else:
        job = await wait(session, job, poll_interval=poll_interval, max_interval=max_interval,
                         max_wait=max_wait)
    if job.state == "Failed" and job.error_message and not job.records_processed:
        raise RecordError("BULK_JOB_FAILED", job.error_message)
    return job


async def results(
    session: ApiSession, job_id: str, kind: ResultKind = "successfulResults"
) -> AsyncGenerator[dict[str, str], None]:
    """The rows of a result CSV as dicts keyed by header, parsed as they arrive.

    The call holds a pool slot while the CSV streams: read to the end, or `aclose()` the
    iterator when stopping early, so the slot is given back at once."""
    async with contextlib.aclosing(result_blocks(session, job_id, kind)) as blocks:
        async for block in blocks:
            for row in block:
                yield row


async def result_blocks(
    session: ApiSession, job_id: str, kind: ResultKind = "successfulResults"
) -> AsyncGenerator[list[dict[str, str]], None]:
    """`results` a block of rows at a time (one per piece of the response), for callers that
    read hundreds of thousands of rows: a row costs a dict, not a trip through generators."""
    async with contextlib.aclosing(result_lists(session, job_id, kind)) as blocks:
        async for header, rows in blocks:
            yield [dict(zip(header, row, strict=False)) for row in rows]


async def result_lists(
    session: ApiSession, job_id: str, kind: ResultKind = "successfulResults"
) -> AsyncGenerator[tuple[list[str], list[list[str]]], None]:
    """`result_blocks` as (header, rows) with each row a list of its values: no dict a row,
    for callers that read a few columns of every row."""
    async with session.stream(
        "GET", _job_path(session, job_id, f"/{kind}/"), headers={"Accept": "text/csv"}
    ) as response:
        async for header, rows in headed_blocks(response.aiter_text()):
            yield header, rows


async def headed_blocks(
    pieces: AsyncIterable[str],
) -> AsyncIterator[tuple[list[str], list[list[str]]]]:
    """`csv_blocks` of a CSV whose first row is its header: (header, rows) per block."""
    header: list[str] | None = None
    async for rows in csv_blocks(pieces):
        if header is None:
            header, rows = rows[0], rows[1:]
        if rows:
            yield header, rows


async def csv_blocks(pieces: AsyncIterable[str]) -> AsyncIterator[list[list[str]]]:
    """CSV rows from text arriving in pieces, the complete records of each piece at once; a
    record cut by a piece's end, or whose quoted value spans lines (an odd count of quotes
    before a line's end means the record continues), waits for the next piece."""
    rest = ""
    async for piece in pieces:
        text = rest + piece
        cut = text.rfind("\n") + 1
        quotes = text.count('"', 0, cut)
        while cut and quotes % 2:
            before = text.rfind("\n", 0, cut - 1) + 1
            quotes -= text.count('"', before, cut)
            cut = before
        rest = text[cut:]
        if cut:
            rows = list(filter(None, csv.reader(io.StringIO(text[:cut]))))  # no blank rows
            if rows:
                yield rows
    if rest:
        rows = list(filter(None, csv.reader(io.StringIO(rest))))
        if rows:
            yield rows


_PARSE_BLOCK_LINES = 512


async def parse_csv_lines(lines: AsyncIterable[str]) -> AsyncIterator[list[str]]:
    """CSV rows from text lines; a quoted value may span lines (an odd count of quotes so far
    means the record continues). Complete records are parsed a block at a time by one
    `csv.reader`."""
    pending: list[str] = []
    quotes = 0
    async for line in lines:
        pending.append(line)
        quotes += line.count('"')
        if quotes % 2 or len(pending) < _PARSE_BLOCK_LINES:
            continue
        for row in csv.reader(io.StringIO("\n".join(pending))):
            if row:
                yield row
        pending, quotes = [], 0
    if pending:
        for row in csv.reader(io.StringIO("\n".join(pending))):
            if row:
                yield row


def csv_chunks(
    columns: Sequence[str], rows: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]]
) -> AsyncIterator[bytes]:
    """CSV bytes (header first) from rows, about BULK_CHUNK_BYTES at a time, for `upload`.

    None becomes `#N/A` (the Bulk API's way to set a field to null); missing keys stay empty.
    """

    async def generate() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        async for row in _aiter(rows):
            writer.writerow([_cell(row, c) for c in columns])
            if buffer.tell() >= BULK_CHUNK_BYTES:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode("utf-8")

    return generate()


def _cell(row: dict[str, Any], column: str) -> str:
    if column not in row:
        return ""
    value = row[column]
    if value is None:
        return "#N/A"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def _aiter(
    rows: Iterable[dict[str, Any]] | AsyncIterable[dict[str, Any]],
) -> AsyncGenerator[dict[str, Any], None]:
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row
