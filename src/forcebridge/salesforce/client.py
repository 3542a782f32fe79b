"""`SalesforceClient`: every call forcebridge makes to one org, by what it means.

The client is thin on purpose: HTTP, auth, pooling and retries live in `ApiSession`; SOQL in
query.py; many-record writes in collections.py; Bulk API 2.0 in bulk.py; Apex REST in apex.py.
Here are the single calls and their answers as recorded (sf-recordings Facts 2, 4, 5): create
201 `{id, success, errors}`, update/delete 204, upsert 201 (new) or 200/204 (existing), 300
with record URLs when an external id matches several records. Describes are cached per client
because schemas change rarely and integrations ask about them constantly; `refresh()` forgets.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from forcebridge.salesforce import apex, bulk, bulk_query, collections, query
from forcebridge.salesforce.auth import Token, TokenListener
from forcebridge.salesforce.budget import ApiBudget
from forcebridge.salesforce.calls import CallListener
from forcebridge.salesforce.collections import SaveResult
from forcebridge.salesforce.credentials import Credentials
from forcebridge.salesforce.errors import RecordError
from forcebridge.salesforce.limiter import ConcurrencyPool
from forcebridge.salesforce.query import soql_name
from forcebridge.salesforce.schema import GlobalDescribe, SObjectSchema
from forcebridge.salesforce.session import ApiSession, Body, RetryPolicy
from forcebridge.salesforce.usage import ApiUsage


@dataclass(frozen=True)
class Identity:
    """Who the client acts as, from the identity URL (restforce-db recording)."""

    org_id: str
    user_id: str
    username: str
    instance_url: str
    display_name: str = ""
    email: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class UpsertResult:
    id: str | None
    created: bool


class SalesforceClient:
    """An async client for one org. Use as `async with SalesforceClient(creds) as sf:`.

    `pool` limits calls in flight (pass the lender's pool to borrow concurrency); `transport`
    replaces the network (httpx.ASGITransport for the emulator in-process); `token` reuses a
    token obtained earlier; `on_token` hears of every new token (store a rotated refresh token);
    `on_call` hears of every HTTP exchange, after it (salesforce.calls: metrics, traces).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        pool: ConcurrencyPool | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        token: Token | None = None,
        on_token: TokenListener | None = None,
        timeout: float = 60.0,
        on_call: CallListener | None = None,
    ) -> None:
        self.credentials = credentials
        self._session = ApiSession(
            credentials,
            pool=pool,
            transport=transport,
            retry=retry,
            token=token,
            on_token=on_token,
            timeout=timeout,
            on_call=on_call,
        )
        self._global: GlobalDescribe | None = None
        self._describes: dict[str, SObjectSchema] = {}

    async def __aenter__(self) -> SalesforceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    def __repr__(self) -> str:
        return f"<SalesforceClient {self.credentials.flow} {self.credentials.login_url}>"

    # -- state -------------------------------------------------------------------------
    @property
    def pool(self) -> ConcurrencyPool:
        return self._session.pool

    @property
    def usage(self) -> ApiUsage | None:
        """API usage from the last answer's Sforce-Limit-Info (None before any call)."""
        return self._session.usage

    @property
    def token(self) -> Token | None:
        return self._session.tokens.current

    @property
    def calls(self) -> int:
        """HTTP exchanges this client made, logins included: what a run reports as API calls."""
        return self._session.calls

    @property
    def budget(self) -> ApiBudget | None:
        """The share of the org's daily API allocation this client's calls wait within."""
        return self._session.budget

    @budget.setter
    def budget(self, budget: ApiBudget | None) -> None:
        self._session.budget = budget

    @property
    def retry(self) -> RetryPolicy:
        """How this client backs off; a caller repeating work of its own waits the same way."""
        return self._session.retry

    def _data(self, path: str) -> str:
        return self._session.data_path(path)

    # -- identity ----------------------------------------------------------------------
    async def log_in(self) -> Token:
        """The current token, logging in first when there is none (no other call is made)."""
        return await self._session.token()

    async def authorize(self) -> Identity:
        """Log in (if not yet) and ask the identity URL who we are: proves the credentials."""
        await self._session.token()
        return await self.identity()

    async def org_id(self) -> str:
        """The 18-character id of the org the credentials reach. A token's identity URL is
        `.../id/<org id>/<user id>`: when it names the org in that form no call is made;
        otherwise (a 15-character id, an unexpected shape) the identity URL is asked, so the
        id is always the one `identity()` gives."""
        token = await self._session.token()
        parts = token.id_url.rstrip("/").split("/")
        if len(parts) >= 3 and parts[-3] == "id" and _is_org_id(parts[-2]):
            return parts[-2]
        return (await self.identity()).org_id

    async def identity(self) -> Identity:
        token = await self._session.token()
        response = await self._session.request("GET", token.id_url)
        body = response.json()
        current = self._session.tokens.current or token
        return Identity(
            org_id=str(body.get("organization_id") or ""),
            user_id=str(body.get("user_id") or ""),
            username=str(body.get("username") or ""),
            instance_url=current.instance_url,
            display_name=str(body.get("display_name") or ""),
            email=str(body.get("email") or ""),
            raw=body,
        )

    async def versions(self) -> list[str]:
        """The API versions the org serves (`GET /services/data`)."""
        response = await self._session.request("GET", "/services/data")
        return [str(v["version"]) for v in response.json()]

    async def limits(self) -> dict[str, dict[str, int]]:
        """`GET limits`: every limit as {"Max": n, "Remaining": m}."""
        response = await self._session.request("GET", self._data("limits"))
        body: dict[str, dict[str, int]] = response.json()
        return body

    async def record_counts(self, sobjects: Sequence[str] | None = None) -> dict[str, int]:
        """Approximate record counts per object (`GET limits/recordCount`)."""
        params = {"sObjects": ",".join(soql_name(s) for s in sobjects)} if sobjects else None
        response = await self._session.request(
            "GET", self._data("limits/recordCount"), params=params
        )
        return {str(o["name"]): int(o["count"]) for o in response.json().get("sObjects", [])}

    # -- describe ----------------------------------------------------------------------
    async def describe_global(self) -> GlobalDescribe:
        if self._global is None:
            response = await self._session.request("GET", self._data("sobjects"))
            self._global = GlobalDescribe.from_describe(response.json())
        return self._global

    async def describe(self, sobject: str) -> SObjectSchema:
        key = sobject.lower()
        cached = self._describes.get(key)
        if cached is None:
            path = self._data(f"sobjects/{soql_name(sobject)}/describe")
            response = await self._session.request("GET", path)
            cached = SObjectSchema.from_describe(response.json())
            self._describes[key] = cached
        return cached

    def refresh(self) -> None:
        """Forget cached describes (after the org's schema changed)."""
        self._global = None
        self._describes.clear()

    # -- single records ----------------------------------------------------------------
    async def create(self, sobject: str, values: Mapping[str, Any]) -> str:
        """Insert one record; answers its id. Never repeated after a lost answer."""
        response = await self._session.request(
            "POST",
            self._data(f"sobjects/{soql_name(sobject)}"),
            json=dict(values),
            idempotent=False,
        )
        result = SaveResult.from_json(response.json())
        result.raise_for_error()
        return str(result.id)

    async def get(
        self, sobject: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        params = {"fields": ",".join(soql_name(f) for f in fields)} if fields else None
        path = self._data(f"sobjects/{soql_name(sobject)}/{_segment(record_id)}")
        response = await self._session.request("GET", path, params=params)
        record: dict[str, Any] = response.json()
        return record

    async def get_by(
        self,
        sobject: str,
        field_name: str,
        value: Any,
        fields: Sequence[str] | None = None,
        *,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """Records whose id-lookup field `field_name` equals `value` (an id-lookup field, such
        as Name, Email or an external id, need not be unique). The value is a SOQL literal."""
        schema = await self.describe(sobject)
        info = schema.get_field(field_name)
        if not info.id_lookup:
            raise ValueError(f"{schema.name}.{info.name} is not an id-lookup field")
        columns = list(fields) if fields else ["Id", info.name]
        soql = query.select_where(schema.name, columns, info.name, value, limit)
        return [r async for r in self.query(soql)]

    async def update(self, sobject: str, record_id: str, values: Mapping[str, Any]) -> None:
        path = self._data(f"sobjects/{soql_name(sobject)}/{_segment(record_id)}")
        await self._session.request("PATCH", path, json=dict(values), idempotent=True)

    async def upsert(
        self, sobject: str, external_id_field: str, value: str, values: Mapping[str, Any]
    ) -> UpsertResult:
        """Insert or update by external id. Several matches raise RecordError MULTIPLE_CHOICES
        with the matching record URLs in `fields` (Salesforce answers 300)."""
        path = self._data(
            f"sobjects/{soql_name(sobject)}/{soql_name(external_id_field)}/{_segment(value)}"
        )
        response = await self._session.request("PATCH", path, json=dict(values), idempotent=True)
        if response.status_code == 300:
            urls = response.json() if response.content.strip() else []
            raise RecordError(
                "MULTIPLE_CHOICES",
                f"{len(urls)} records match {external_id_field}",
                fields=[str(u) for u in urls],
                status=300,
            )
        if response.status_code == 204 or not response.content.strip():
            return UpsertResult(None, created=False)
        result = SaveResult.from_json(response.json())
        result.raise_for_error()
        created = result.created if result.created is not None else response.status_code == 201
        return UpsertResult(result.id, created=created)

    async def delete(self, sobject: str, record_id: str) -> None:
        path = self._data(f"sobjects/{soql_name(sobject)}/{_segment(record_id)}")
        await self._session.request("DELETE", path, idempotent=True)

    # -- queries -----------------------------------------------------------------------
    def query(
        self, soql: str, *, include_deleted: bool = False, batch_size: int | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Every record of `soql`, across all pages, one page in memory at a time."""
        return query.stream_records(
            self._session, soql, include_deleted=include_deleted, batch_size=batch_size
        )

    def query_bulk(
        self, soql: str, *, page_records: int | None = None, poll_interval: float = 0.3,
    ) -> AsyncGenerator[dict[str, str], None]:
        """Every row of `soql` through a Bulk API 2.0 query job, as text keyed by the CSV
        header; for many records (a few calls whatever their number)."""
        return bulk_query.rows(self._session, soql, poll_interval=poll_interval,
                               page_records=page_records or bulk_query.BULK_QUERY_PAGE_RECORDS)

    def query_bulk_blocks(
        self, soql: str, *, page_records: int | None = None, poll_interval: float = 0.3,
    ) -> AsyncGenerator[tuple[list[str], list[list[str]]], None]:
        """`query_bulk` a block of rows at a time: (CSV header, rows as lists of text)."""
        return bulk_query.blocks(self._session, soql, poll_interval=poll_interval,
                                 page_records=page_records or bulk_query.BULK_QUERY_PAGE_RECORDS)

    async def count(self, soql: str) -> int:
        return await query.count(self._session, soql)

    # -- collections -------------------------------------------------------------------
    async def create_many(
        self, sobject: str, records: Sequence[dict[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        return await collections.create_many(
            self._session, sobject, records, all_or_none=all_or_none
        )

    async def update_many(
        self, sobject: str, records: Sequence[dict[str, Any]], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        return await collections.update_many(
            self._session, sobject, records, all_or_none=all_or_none
        )

    async def upsert_many(
        self,
        sobject: str,
        external_id_field: str,
        records: Sequence[dict[str, Any]],
        *,
        all_or_none: bool = False,
    ) -> list[SaveResult]:
        return await collections.upsert_many(
            self._session, sobject, external_id_field, records, all_or_none=all_or_none
        )

    async def delete_many(
        self, ids: Sequence[str], *, all_or_none: bool = False
    ) -> list[SaveResult]:
        return await collections.delete_many(self._session, ids, all_or_none=all_or_none)

    # -- bulk and apex -----------------------------------------------------------------
    async def bulk_ingest(
        self,
        sobject: str,
        operation: bulk.Operation,
        data: Body,
        *,
        external_id_field: str | None = None,
        poll_interval: float = 1.0,
        max_interval: float = 10.0,
        max_wait: float = 3600.0,
        on_created: Callable[[bulk.BulkJob], Awaitable[None]] | None = None,
        on_closed: Callable[[bulk.BulkJob], None] | None = None,
        watch: bulk.JobWatch | None = None,
        records: int | None = None,
    ) -> bulk.BulkJob:
        """Run a Bulk API 2.0 ingest job to its end (see bulk.py); `data` is CSV."""
        return await bulk.ingest(
            self._session,
            sobject,
            operation,
            data,
            external_id_field=external_id_field,
            poll_interval=poll_interval,
            max_interval=max_interval,
            max_wait=max_wait,
            on_created=on_created,
            on_closed=on_closed,
            watch=watch,
            records=records,
        )

    def bulk_watch(self, *, poll_interval: float = 1.0, max_interval: float = 10.0) -> bulk.JobWatch:
        """One status round for several ingest jobs (`bulk_ingest(watch=...)`, see bulk.py)."""
        return bulk.JobWatch(self._session, poll_interval=poll_interval, max_interval=max_interval)

    async def bulk_job(self, job_id: str) -> bulk.BulkJob:
        """An ingest job's state now."""
        return await bulk.status(self._session, job_id)

    async def bulk_wait(
        self, job: bulk.BulkJob, *, poll_interval: float = 1.0, max_interval: float = 10.0
    ) -> bulk.BulkJob:
        """Poll an ingest job until it is JobComplete, Failed or Aborted."""
        return await bulk.wait(
            self._session, job, poll_interval=poll_interval, max_interval=max_interval
        )

    async def bulk_abort(self, job: bulk.BulkJob) -> bulk.BulkJob:
        return await bulk.abort(self._session, job)

    def bulk_results(
        self, job_id: str, kind: bulk.ResultKind = "successfulResults"
    ) -> AsyncGenerator[dict[str, str], None]:
        return bulk.results(self._session, job_id, kind)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """A call the methods above do not make (`path` under the instance URL), with the same
        auth, pooling and retries; its answer read in full, an error answer raised."""
        return await self._session.request(
            method, path, json=json, params=params, headers=headers, idempotent=idempotent
        )

    def bulk_result_blocks(
        self, job_id: str, kind: bulk.ResultKind = "successfulResults"
    ) -> AsyncGenerator[list[dict[str, str]], None]:
        """`bulk_results` a block of rows at a time (see bulk.result_blocks)."""
        return bulk.result_blocks(self._session, job_id, kind)

    def bulk_result_lists(
        self, job_id: str, kind: bulk.ResultKind = "successfulResults"
    ) -> AsyncGenerator[tuple[list[str], list[list[str]]], None]:
        """`bulk_result_blocks` as (header, rows of values) (see bulk.result_lists)."""
        return bulk.result_lists(self._session, job_id, kind)

    async def apex(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Call an Apex REST endpoint (`path` under /services/apexrest/)."""
        return await apex.call(
            self._session, method, path, json=json, params=params, idempotent=idempotent
        )


def _segment(value: str) -> str:
    """A value as one URL path segment (an external id may hold '/', '?' or spaces)."""
    if not isinstance(value, str) or not value:
        raise ValueError("an id or external id value must be a non-empty string")
    return quote(value, safe="")


def _is_org_id(value: str) -> bool:
    """An 18-character Organization id (key prefix 00D), as `identity()` reports it."""
    return len(value) == 18 and value.startswith("00D") and value.isalnum()
