"""Writing many changed records as one Bulk API 2.0 upsert job, with collections as fallback.

A job's CSV is built from the records' payloads (a reference `{"Account__r":
{"External_Id__c": "A1"}}` becomes the column `Account__r.External_Id__c`, null becomes
`#N/A`), streamed up, and the result files are read back line by line: a successful row is
matched to its record by the external id value and confirmed with `sf__Id`; a failed row
becomes a rejection with the code and message of `sf__Error`. Records the job did not
process (aborted, timed out, a result missing) and any job that could not be created or
uploaded are sent again through collections (`Writer.upsert`): upserts are safe to repeat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from forcebridge import log
from forcebridge.runs.state import Confirmed
from forcebridge.runs.writer import Rejection, Writer, Written
from forcebridge.salesforce import (
    AuthenticationError,
    LimitExceeded,
    RecordError,
    SalesforceError,
    csv_chunks,
)
from forcebridge.salesforce import (
    bulk as sf_bulk,
)
from forcebridge.salesforce.collections import MAX_RECORDS
from forcebridge.sync.diff import Diffed

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


async def _rows(records: Sequence[Diffed]) -> AsyncIterator[dict[str, Any]]:
    for r in records:
        yield flatten(r.payload)


async def _ingest(writer: Writer, ext: str, data: Any, poll_seconds: float) -> sf_bulk.BulkJob:
    """`bulk.ingest` with a steady poll: the client's growing interval (x1.5 a poll) makes a
    job queued behind others in the org wait seconds after it finished, at the run's end."""
    session = writer.client.session
    job = await sf_bulk.create_job(session, writer.object, "upsert", external_id_field=ext)
    try:
        await sf_bulk.upload(session, job, data)
        job = await sf_bulk.close(session, job)
    except BaseException:
        try:
            await sf_bulk.abort(session, job)
        except Exception:  # noqa: S110 - the upload's own error is the one that matters
            pass
        raise
    job = await sf_bulk.wait(session, job, poll_interval=poll_seconds,
                          max_interval=max(poll_seconds, 1.0))
    if job.state == "Failed" and job.error_message and not job.records_processed:
        raise RecordError("BULK_JOB_FAILED", job.error_message)
    return job


async def upsert_job(writer: Writer, records: Sequence[Diffed], poll_seconds: float) -> Written:
    """Upsert `records` through one Bulk API 2.0 job; leftovers through collections."""
    ext = writer.external_id
    assert ext is not None, "plan.check requires an external id to upsert"
    columns: list[str] = []
    seen: set[str] = set()
    for r in records:
        for name in flatten(r.payload):
            if name not in seen:
                seen.add(name)
                columns.append(name)
    by_ext = {_cell_text(r.payload.get(ext)): r for r in records}
    out = Written()
    try:
        job = await _ingest(writer, ext, lambda: csv_chunks(columns, _rows(records)),
                            poll_seconds)
        async for row in writer.client.bulk_results(job.id, "successfulResults"):
            record = by_ext.pop(row.get(ext, ""), None)
            if record is None:
                continue
            out.confirmed.append(
                Confirmed(record.key, record.hash, row.get("sf__Id") or None, record.raw_hash)
            )
            if row.get("sf__Created", "").lower() == "true":
                out.created += 1
            else:
                out.updated += 1
        async for row in writer.client.bulk_results(job.id, "failedResults"):
            record = by_ext.pop(row.get(ext, ""), None)
            if record is None:
                continue
            code, message, fields = parse_error(row.get("sf__Error", ""))
            out.rejected.append(Rejection(record.key, code, message, fields, record.payload))
    except (AuthenticationError, LimitExceeded):
        raise
    except SalesforceError as exc:
        log.event(_logger, "bulk job failed, sending through collections", code=exc.code,
                  records=len(by_ext))
    leftovers = list(by_ext.values())
    for start in range(0, len(leftovers), MAX_RECORDS):
        out.add(await writer.upsert(leftovers[start : start + MAX_RECORDS]))
    return out
