"""sObject Collections: many records per call, up to 200, with one result per record.

Salesforce answers 200 even when records fail; each record's SaveResult says what happened,
with `statusCode` errors (sf-recordings Fact 3). We split any number of records into chunks of
at most 200, keep the results in input order, and give records that failed only for a transient
reason (UNABLE_TO_LOCK_ROW) more tries under the client's retry policy: such a record was not
saved, so trying it again is safe even for a create. Endpoints (REST API Developer Guide,
"sObject Collections"): POST / PATCH / DELETE `composite/sobjects`, PATCH
`composite/sobjects/{Object}/{ExternalIdField}` for upserts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forcebridge.salesforce.errors import (
    ErrorDetail,
    RecordError,
    SalesforceError,
    is_retryable_detail,
)
from forcebridge.salesforce.query import soql_name

if TYPE_CHECKING:
    from forcebridge.salesforce.session import ApiSession

MAX_RECORDS_PER_COLLECTION = 200


@dataclass(frozen=True)
class SaveResult:
    """One record's outcome. `created` is set by upserts (True: inserted, False: updated)."""

    id: str | None
    success: bool
    errors: tuple[ErrorDetail, ...] = ()
    created: bool | None = None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> SaveResult:
        return cls(
            id=item.get("id"),
            success=bool(item.get("success")),
            errors=tuple(ErrorDetail.from_json(e) for e in item.get("errors") or []),
            created=item.get("created"),
        )

    def raise_for_error(self) -> None:
        """Raise the record's first error as a RecordError (nothing if it succeeded)."""
        if self.success:
            return
        first = self.errors[0] if self.errors else ErrorDetail("UNKNOWN_ERROR", "")
        raise RecordError(first.code, first.message, fields=first.fields, errors=self.errors)

    @property
    def retryable(self) -> bool:
        return not self.success and bool(self.errors) and all(map(is_retryable_detail, self.errors))


Send = Callable[[list[Any]], Awaitable[list[SaveResult]]]


async def _chunked(session: ApiSession, items: Sequence[Any], send: Send) -> list[SaveResult]:
    """Send `items` in chunks; re-send records that failed transiently; results in input order.

    If a chunk raises, the exception gets `partial_results`: the results of the chunks before.
    """
    results: list[SaveResult] = []
    for start in range(0, len(items), MAX_RECORDS_PER_COLLECTION):
        chunk = list(items[start : start + MAX_RECORDS_PER_COLLECTION])
        try:
            chunk_results = await send(chunk)
            _check_length(chunk, chunk_results)
            pending = [i for i, r in enumerate(chunk_results) if r.retryable]
            retry = 0
            while pending and retry + 1 < session.retry.attempts:
                await asyncio.sleep(session.retry.delay(retry))
                retry += 1
                again = await send([chunk[i] for i in pending])
                _check_length(pending, again)
                for i, result in zip(pending, again, strict=True):
                    chunk_results[i] = result
                pending = [i for i in pending if chunk_results[i].retryable]
        except SalesforceError as exc:
            exc.partial_results = results  # type: ignore[attr-defined]
            raise
        results.extend(chunk_results)
    return results


def _check_length(sent: Sequence[Any], got: Sequence[SaveResult]) -> None:
    if len(sent) != len(got):
        raise RecordError(
            "UNEXPECTED_RESPONSE", f"sent {len(sent)} records, got {len(got)} results"
        )


def _results(body: Any) -> list[SaveResult]:
    if not isinstance(body, list):
        raise RecordError("UNEXPECTED_RESPONSE", "collections answer is not a list")
    return [SaveResult.from_json(item) for item in body]


def _typed(sobject: str, record: dict[str, Any]) -> dict[str, Any]:
    if "attributes" in record:
        return record
    return {"attributes": {"type": sobject}, **record}


async def create_many(
    session: ApiSession,
    sobject: str,
    records: Sequence[dict[str, Any]],
    *,
    all_or_none: bool = False,
) -> list[SaveResult]:
    soql_name(sobject)
    return await _save(session, "POST", sobject, records, all_or_none)


async def update_many(
    session: ApiSession,
    sobject: str,
    records: Sequence[dict[str, Any]],
    *,
    all_or_none: bool = False,
) -> list[SaveResult]:
    """Records carry their `Id`."""
    soql_name(sobject)
    for record in records:
        if not record.get("Id"):
            raise ValueError("every record of an update needs its Id")
    return await _save(session, "PATCH", sobject, records, all_or_none)


async def _save(
    session: ApiSession,
    method: str,
    sobject: str,
    records: Sequence[dict[str, Any]],
    all_or_none: bool,
) -> list[SaveResult]:
    """Create (POST: never repeated once sent) or update (PATCH: safe to repeat) in chunks."""

    async def send(chunk: list[dict[str, Any]]) -> list[SaveResult]:
        body = {"allOrNone": all_or_none, "records": [_typed(sobject, r) for r in chunk]}
        response = await session.request(
            method, session.data_path("composite/sobjects"), json=body,
            idempotent=method == "PATCH",
        )
        return _results(response.json())

    return await _chunked(session, records, send)


async def upsert_many(
    session: ApiSession,
    sobject: str,
    external_id_field: str,
    records: Sequence[dict[str, Any]],
    *,
    all_or_none: bool = False,
) -> list[SaveResult]:
    """Records carry their external id value under `external_id_field`."""
    path = session.data_path(
        f"composite/sobjects/{soql_name(sobject)}/{soql_name(external_id_field)}"
    )

    async def send(chunk: list[dict[str, Any]]) -> list[SaveResult]:
        body = {"allOrNone": all_or_none, "records": [_typed(sobject, r) for r in chunk]}
        response = await session.request("PATCH", path, json=body, idempotent=True)
        return _results(response.json())

    return await _chunked(session, records, send)


async def delete_many(
    session: ApiSession, ids: Sequence[str], *, all_or_none: bool = False
) -> list[SaveResult]:
    async def send(chunk: list[str]) -> list[SaveResult]:
        params = {"ids": ",".join(chunk), "allOrNone": str(all_or_none).lower()}
        response = await session.request(
            "DELETE", session.data_path("composite/sobjects"), params=params, idempotent=True
        )
        return _results(response.json())

    return await _chunked(session, list(ids), send)
