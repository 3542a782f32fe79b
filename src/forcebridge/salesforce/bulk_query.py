"""Bulk API 2.0 query: one job reads many records, handed back as CSV pages.

Lifecycle ("Create a Query Job", "Get Information About a Query Job", "Get Results for a
Query Job", Bulk API 2.0 Developer Guide): POST `jobs/query` {operation, query} -> poll GET
`jobs/query/{id}` until JobComplete (Failed and Aborted carry an `errorMessage`) -> GET
`jobs/query/{id}/results?maxRecords=N`, then again with `locator=` the `Sforce-Locator`
header of the page before, until that header is the string `null`. Every value is text;
an empty cell is a null. Each page is parsed as it streams in: one page in memory at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from forcebridge.salesforce.bulk import BulkJob, headed_blocks
from forcebridge.salesforce.errors import RecordError, RetryableError

if TYPE_CHECKING:
    from forcebridge.salesforce.session import ApiSession

BULK_QUERY_PAGE_RECORDS = 100_000


async def create(session: ApiSession, soql: str) -> BulkJob:
    body: dict[str, Any] = {"operation": "query", "query": soql, "contentType": "CSV",
                            "lineEnding": "LF", "columnDelimiter": "COMMA"}
    # a lost answer would leave a second job running: creating one is not repeated
    response = await session.request("POST", session.data_path("jobs/query"), json=body,
                                     idempotent=False)
    return BulkJob.from_json(response.json())


async def wait(
    session: ApiSession, job: BulkJob, *, poll_interval: float = 0.3, max_interval: float = 5.0,
    max_wait: float = 3600.0,
) -> BulkJob:
    deadline = time.monotonic() + max_wait
    interval, current = poll_interval, job
    while not current.done:
        if time.monotonic() >= deadline:
            raise RetryableError("BULK_TIMEOUT", f"query job {job.id} still {current.state}")
        await asyncio.sleep(interval)
        interval = min(max_interval, interval * 1.5)
        response = await session.request("GET", session.data_path(f"jobs/query/{job.id}"))
        current = BulkJob.from_json(response.json(), job_id=job.id)
    if current.state != "JobComplete":
        raise RecordError("BULK_QUERY_FAILED",
                          current.error_message or f"query job {job.id} ended {current.state}")
    return current


async def blocks(
    session: ApiSession, soql: str, *, page_records: int = BULK_QUERY_PAGE_RECORDS,
    poll_interval: float = 0.3,
) -> AsyncGenerator[tuple[list[str], list[list[str]]], None]:
    """Every row of `soql` as (CSV header, the rows that arrived together): a million rows
    read without a dict or a generator step each."""
    job = await wait(session, await create(session, soql), poll_interval=poll_interval)
    path = session.data_path(f"jobs/query/{job.id}/results")
    locator: str | None = None
    while True:
        params: dict[str, Any] = {"maxRecords": page_records}
        if locator:
            params["locator"] = locator
        async with session.stream("GET", path, params=params,
                                  headers={"Accept": "text/csv"}) as response:
            locator = response.headers.get("Sforce-Locator")
            async for header, block in headed_blocks(response.aiter_text()):
                yield header, block
        if not locator or locator == "null":
            return


async def rows(
    session: ApiSession, soql: str, *, page_records: int = BULK_QUERY_PAGE_RECORDS,
    poll_interval: float = 0.3,
) -> AsyncGenerator[dict[str, str], None]:
    """Every row of `soql` as a dict keyed by the CSV header (the names the query wrote)."""
    async with contextlib.aclosing(blocks(session, soql, page_records=page_records,
                                          poll_interval=poll_interval)) as pages:
        async for header, block in pages:
            for row in block:
                yield dict(zip(header, row, strict=False))
