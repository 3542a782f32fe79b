"""Writing many changed records as one Bulk API 2.0 upsert job, with collections as fallback.

A job's CSV is made from the records' payloads once the org gave the job its id (a reference
`{"Account__r": {"External_Id__c": "A1"}}` becomes the column `Account__r.External_Id__c`,
null becomes `#N/A`) and sent up in chunks; the payloads are then packed (`_Packed`). The
result files are read back a block at a time: a successful row is matched to its record by
the external id value and confirmed with `sf__Id`; a failed row becomes a rejection with the
code and message of `sf__Error`. Records the job did not process (aborted, timed out, a
result missing) and any job that could not be created or uploaded are sent again through
collections (`Writer.upsert`): upserts are safe to repeat.
Once the org gave a job its id, the job's records are written as intents with it
(`runs.intents`), so a run killed while the job works lets the next run use its results.
"""

from __future__ import annotations

import contextlib
import csv
import io
from array import array
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

import orjson

from forcebridge import log
from forcebridge.runs.state import Confirmed
from forcebridge.runs.writer import Rejection, Writer, Written
from forcebridge.salesforce import (
    BULK_CHUNK_BYTES,
    MAX_RECORDS_PER_COLLECTION,
    AuthenticationError,
    BulkJob,
    JobWatch,
    LimitExceeded,
    SalesforceError,
)
from forcebridge.sync.diff import Diffed
from forcebridge.telemetry import tracing

_logger = log.get("runs.bulk")


def flatten(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload as Bulk CSV columns: nested reference dicts become `Relation.Field`."""
    flat: dict[str, Any] = {}
    for name, value in payload.items():
        if isinstance(value, dict):
            for inner, v in value.items():
                flat[f"{name}.{inner}"] = v
        else:
            flat[name] = value
    return flat


def _cell_text(value: Any) -> str:
    """How `csv_chunks` writes a value, so a result row's column finds its record."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def parse_error(text: str) -> tuple[str, str, list[str]]:
    """`CODE:message:Field1,Field2 --` -> (code, message, fields)."""
    body = text.strip()
    if body.endswith("--"):
        body = body[:-2].rstrip()
    code, _, rest = body.partition(":")
    message, sep, names = rest.rpartition(":")
    if not sep:
        message, names = rest, ""
    fields = [n.strip() for n in names.split(",") if n.strip()]
    return code.strip() or "UNKNOWN_ERROR", message.strip() or body, fields


_MISSING: Any = object()


def _layout(records: Sequence[Diffed]) -> list[tuple[str, str | None]]:
    """The CSV columns of `records` in first-seen order: (field, None) for a plain value,
    (relationship, field) for a reference (`flatten`'s `Relation.Field`)."""
    columns: list[tuple[str, str | None]] = []
    seen: set[tuple[str, str | None]] = set()
    shapes: set[tuple[str, ...]] = set()
    for r in records:
        payload = r.payload
        shape = tuple(payload)
        if shape in shapes:
            continue
        plain = True
        for name, value in payload.items():
            if isinstance(value, dict):
                plain = False
                for inner in value:
                    if (name, inner) not in seen:
                        seen.add((name, inner))
                        columns.append((name, inner))
            elif (name, None) not in seen:
                seen.add((name, None))
                columns.append((name, None))
        if plain:  # a payload of the same plain keys adds nothing new
            shapes.add(shape)
    return columns


def _cell(value: Any) -> Any:
    """`csv_chunks`'s cell: null -> `#N/A`, booleans as true/false (others as csv writes them)."""
    if value is None:
        return "#N/A"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is _MISSING else value


def _csv(columns: list[tuple[str, str | None]], records: Sequence[Diffed]) -> Iterator[bytes]:
    """The job's CSV (header first), about `CHUNK_BYTES` at a time; the same text
    `csv_chunks(header, flatten(payload) ...)` writes, without a dict per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([name if inner is None else f"{name}.{inner}" for name, inner in columns])
    plain = all(inner is None for _, inner in columns)
    names = [name for name, _ in columns]
    rows: list[list[Any]] = []
    for r in records:
        payload = r.payload
        get = payload.get
        if plain:
            rows.append([_cell(get(n, _MISSING)) for n in names])
        else:
            row = []
            for name, inner in columns:
                value = get(name, _MISSING)
                if inner is not None:
                    value = value.get(inner, _MISSING) if isinstance(value, dict) else _MISSING
                elif isinstance(value, dict):
                    value = _MISSING
                row.append(_cell(value))
            rows.append(row)
        if len(rows) >= 500:
            writer.writerows(rows)
            rows = []
            if buffer.tell() >= BULK_CHUNK_BYTES:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    writer.writerows(rows)
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


async def _replay(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


# the payload of a record whose job is all uploaded (`_Packed`)
_PACKED: dict[str, Any] = {}


class _Packed:
    """A job's payloads as JSON bytes once its CSV is made, until its results are read.

    Only the records the job does not confirm need their payload again (a rejection's event,
    collections for what it left). A payload's values are kept as
    one JSON array in a buffer shared by the job, its keys once per distinct set of keys: about
    a tenth of a payload dict's memory (one bytes object per record would cost more than the
    dict: the allocator keeps each one's spare room), so more jobs fit in flight."""

    def __init__(self, records: Sequence[Diffed]) -> None:
        self.records = records
        self.data = bytearray()
        self.ends = array("Q")
        self.shapes = array("I")  # each record's index in `keys`
        self.keys: list[tuple[str, ...]] = []
        self.packed = False

    def pack(self) -> None:
        dumps = orjson.dumps  # payload_hash's encoder: every payload survives it
        data, ends, shapes = self.data, self.ends, self.shapes
        known: dict[tuple[str, ...], int] = {}
        for r in self.records:
            payload = r.payload
            keys = tuple(payload)
            shape = known.get(keys)
            if shape is None:
                shape = known[keys] = len(known)
            shapes.append(shape)
            data += dumps([*payload.values()])
            ends.append(len(data))
            r.payload = _PACKED
        self.keys = list(known)
        self.packed = True

    def unpack(self, records: Iterable[Diffed]) -> None:
        """Give `records` their payload back (JSON values: what collections would send)."""
        if not self.packed:
            return
        wanted = {id(r) for r in records if r.payload is _PACKED}
        if not wanted:
            return
        loads, data, keys = orjson.loads, memoryview(self.data), self.keys
        start = 0
        for i, r in enumerate(self.records):
            end = self.ends[i]
            if id(r) in wanted:
                r.payload = dict(zip(keys[self.shapes[i]], loads(data[start:end]), strict=True))
            start = end


async def _job(
    writer: Writer, ext: str, in_job: list[Diffed], by_ext: dict[str, Diffed], out: Written,
    watch: JobWatch,
) -> None:
    """Run one job over `in_job`; answered records leave `by_ext`, the rest stay for
    collections (the job failed to start, or did not answer them), with their payloads."""
    packed = _Packed(in_job)
    upload: list[bytes] = []  # the job's CSV while it goes up (kept: an upload may be retried)
    try:
        async def created(job: BulkJob) -> None:
            if writer.intend is not None:
                out.intents.append(await writer.intend(in_job, job.id))
            # a tenth of the payloads' memory while the job waits in the org (the intents
            # above read them)
            upload.extend(_csv(_layout(in_job), in_job))
            packed.pack()

        job = await writer.client.bulk_ingest(
            writer.object, "upsert", lambda: _replay(upload), external_id_field=ext,
            on_created=created, on_closed=lambda _: upload.clear(), watch=watch,
            records=len(in_job),
        )
        confirmed, pop = out.confirmed, by_ext.pop
        async with contextlib.aclosing(
            writer.client.bulk_result_lists(job.id, "successfulResults")
        ) as blocks:
            async for header, rows in blocks:
                if not {ext, "sf__Id", "sf__Created"} <= set(header):
                    continue  # answers nothing: its records go through collections
                at_key, at_id = header.index(ext), header.index("sf__Id")
                at_created = header.index("sf__Created")
                width = max(at_key, at_id, at_created) + 1
                inserted = answered = 0
                for row in rows:
                    record = pop(row[at_key], None) if len(row) >= width else None
                    if record is None:
                        continue
                    confirmed.append(Confirmed(record.key, record.hash, row[at_id] or None,
                                               record.raw_hash, record.digests))
                    answered += 1
                    if row[at_created].lower() == "true":
                        inserted += 1
                out.created += inserted
                out.updated += answered - inserted
        if not by_ext:  # every record succeeded: no failed row to ask for
            return
        packed.unpack(by_ext.values())
        async for block in writer.client.bulk_result_blocks(job.id, "failedResults"):
            for failed in block:
                record = pop(failed.get(ext, ""), None)
                if record is None:
                    continue
                code, message, fields = parse_error(failed.get("sf__Error", ""))
                out.rejected.append(Rejection(record.key, code, message, fields, record.payload))
    except (AuthenticationError, LimitExceeded):
        raise
    except SalesforceError as exc:
        log.event(_logger, "bulk job failed, sending through collections", code=exc.code,
                  records=len(by_ext))
    finally:
        packed.unpack(by_ext.values())


def job_watch(writer: Writer, poll_seconds: float) -> JobWatch:
    """What a run's jobs are waited for with: one status round for all of them, the first
    after `poll_seconds` (later for a large job: `JobWatch`), then growing by half up to 2 s
    (a longer wait makes a job finished in the org wait for the run, at its end)."""
    return writer.client.bulk_watch(poll_interval=poll_seconds,
                                     max_interval=max(poll_seconds, 2.0))


async def upsert_job(writer: Writer, records: Sequence[Diffed], watch: JobWatch) -> Written:
    """Upsert `records` through one Bulk API 2.0 job; leftovers through collections."""
    ext = writer.external_id
    assert ext is not None, "plan.check requires an external id to upsert"
    # A job's results are matched back to records by external id value, so only records with
    # a value of their own in this job go into it; the others (none, or one shared with an
    # earlier record) go through collections, which answer record by record.
    by_ext: dict[str, Diffed] = {}
    unmatched: list[Diffed] = []
    for r in records:
        value = _cell_text(r.payload.get(ext))
        if value and value not in by_ext:
            by_ext[value] = r
        else:
            unmatched.append(r)
    in_job = list(by_ext.values())
    out = Written()
    if in_job:
        with tracing.span("bulk job", **{"salesforce.object": writer.object,
                                         "salesforce.operation": "upsert",
                                         "forcebridge.bulk.records": len(in_job)}) as span:
            await _job(writer, ext, in_job, by_ext, out, watch)
            if span is not None:
                span.set_attribute("forcebridge.bulk.created", out.created)
                span.set_attribute("forcebridge.bulk.updated", out.updated)
                span.set_attribute("forcebridge.bulk.rejected", len(out.rejected))
    leftovers = [*by_ext.values(), *unmatched]
    for start in range(0, len(leftovers), MAX_RECORDS_PER_COLLECTION):
        out.add(await writer.upsert(leftovers[start : start + MAX_RECORDS_PER_COLLECTION]))
    return out
