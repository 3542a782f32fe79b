"""SOQL over REST: `query` and `queryAll`, paged the way Salesforce pages.

A result larger than one batch (2,000 rows, or `Sforce-Query-Options: batchSize=N` between 200
and 2,000) answers `done: false` and a relative `nextRecordsUrl` like
`/services/data/v57.0/query/01gC000006QJJ7fIAH-2000`; GET of that URL returns the next batch, and
the last one has `done: true` and no `nextRecordsUrl` (NetCoreForce querybatch captures).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._http import SalesforceJSON, api_version
from forcebridge_emulator._pipeline import emulator_of, sf_route
from forcebridge_emulator._soql import run_query

BASE = "/services/data/{version}"
DEFAULT_BATCH = 2000
MIN_BATCH = 200
_BATCH_RE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_LOCATOR_RE = re.compile(r"^(01g[0-9A-Za-z]{12,15})-(\d+)$")


def batch_size(request: Request) -> int:
    raw = request.headers.get("sforce-query-options", "")
    match = _BATCH_RE.search(raw)
    if not match:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(DEFAULT_BATCH, int(match.group(1))))


def page(
    request: Request,
    total: int,
    records: list[dict[str, Any]],
    start: int,
    batch: int,
    locator: str | None = None,
) -> dict[str, Any]:
    """One page of a result: `records[start:start+batch]`, and where the next one is."""
    end = start + batch
    body: dict[str, Any] = {"totalSize": total, "done": end >= len(records)}
    if end < len(records):
        cursors = emulator_of(request).cursors
        locator = locator or cursors.open(total, records, batch)
        body["nextRecordsUrl"] = f"/services/data/v{api_version(request)}/query/{locator}-{end}"
    body["records"] = records[start:end]
    return body


def run_soql(
    request: Request, soql: str, *, include_deleted: bool
) -> tuple[int, list[dict[str, Any]]]:
    """Evaluate `soql` with the SOQL helper; (totalSize, rendered records)."""
    result = run_query(
        emulator_of(request).org,
        soql,
        version=api_version(request),
        include_deleted=include_deleted,
    )
    return result.total_size, result.rows


async def _query(request: Request, *, include_deleted: bool) -> Response:
    soql = request.query_params.get("q")
    if soql is None or not soql.strip():
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    total, records = run_soql(request, soql, include_deleted=include_deleted)
    return SalesforceJSON(page(request, total, records, 0, batch_size(request)))


async def query(request: Request) -> Response:
    return await _query(request, include_deleted=False)


async def query_all(request: Request) -> Response:
    return await _query(request, include_deleted=True)


async def next_page(request: Request) -> Response:
    """GET of a `nextRecordsUrl`."""
    match = _LOCATOR_RE.match(str(request.path_params["locator"]))
    cursor = emulator_of(request).cursors.get(match.group(1)) if match else None
    if match is None or cursor is None:
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    start = int(match.group(2))
    if start > len(cursor.records):
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return SalesforceJSON(
        page(request, cursor.total, cursor.records, start, cursor.batch, match.group(1))
    )


def routes() -> list[BaseRoute]:
    return [
        *sf_route(f"{BASE}/query", query, ["GET"]),
        *sf_route(f"{BASE}/queryAll", query_all, ["GET"]),
        *sf_route(f"{BASE}/query/{{locator}}", next_page, ["GET"]),
        *sf_route(f"{BASE}/queryAll/{{locator}}", next_page, ["GET"]),
    ]
