"""Bulk API 2.0 jobs: `BulkJobs` (kept on the emulator state as `.bulk`) holds the org's jobs
and the handlers that create, feed, close, list and read them (routed by `_bulk`).
Jobs run as asyncio tasks after `UploadComplete` (ingest) or creation (query), so clients
poll the job state exactly as against a real org. The row work lives in `bulk_ingest` and
`bulk_query`.

Sources: restforce Bulk 2.0 fixtures (job JSON key order, `apiVersion` a number, `contentUrl`
without a leading slash, `PATCH` answering the job, result CSV headers); a captured v47 upsert
session (close-job answer without contentUrl/lineEnding/columnDelimiter; `INVALIDJOB` and
`API_ERROR` create errors; a second `PUT` refused with `BULK_API_ERROR`); the Bulk API 2.0
Developer Guide for the rest ("Get Information About an Ingest Job", "Close or Abort a Job":
`INVALIDJOBSTATE` "Aborting already Completed Job not allowed", "Delete a Job", "Get All Jobs").
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from forcebridge_emulator import _ids as ids
from forcebridge_emulator._bulk_ingest import (
    DELIMITERS,
    LINE_ENDINGS,
    OPERATIONS,
    TERMINAL,
    IngestJob,
)
from forcebridge_emulator._bulk_pace import BulkPace
from forcebridge_emulator._bulk_query import QUERY_OPERATIONS, QueryJob
from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._http import (
    NOT_FOUND_MESSAGE,
    SalesforceJSON,
    acting_user,
    api_version,
    read_json_object,
)
from forcebridge_emulator._org import Org
from forcebridge_emulator._soql_parse import parse
from forcebridge_emulator._values import format_datetime

BASE = "/services/data/{version}/jobs"
OLDEST_BULK_VERSION = 41  # Bulk API 2.0 exists from v41.0
MAX_UPLOAD_BYTES = 150 * 1024 * 1024  # the documented per-job data limit
LIST_PAGE = 1000  # Get All Jobs answers up to 1,000 jobs a request
Job = IngestJob | QueryJob


def _now() -> str:
    """Job timestamps: whole seconds, Salesforce's `+0000` form."""
    return format_datetime(datetime.fromtimestamp(int(time.time()), UTC))


def _api_error(code: str, message: str, status: int = 400) -> ApiError:
    # Bulk 2.0 errors carry no `fields` key (captured bodies: `{"errorCode","message"}`).
    return ApiError(status, code, message)


def _bad_value(prop: str, value: Any) -> ApiError:
    return _api_error("API_ERROR", f"Invalid value: '{'' if value is None else value}' "
                      f"supplied for property: '{prop}'")  # fmt: skip


class BulkJobs:
    """Every Bulk API 2.0 job of one org, and the routes that manage them."""

    def __init__(self, org: Org, pace: BulkPace | None = None) -> None:
        self.org = org
        self.pace = pace
        self.jobs: dict[str, Job] = {}
        self._ids = ids.IdFactory(pod="5h")

    # --- job registry -------------------------------------------------------------------

    def get(self, job_id: str, kind: str) -> Job:
        job = self.jobs.get(ids.normalize(job_id) or job_id)
        if job is None or job.kind != kind:
            raise _api_error("NOT_FOUND", NOT_FOUND_MESSAGE, 404)
        return job

    def _start(self, job: Job) -> None:
        if isinstance(job, IngestJob) and self.pace is not None:
            job.pace = self.pace.for_job()
        job.task = asyncio.get_running_loop().create_task(job.process(self.org, _now))

    async def wait(self, job_id: str) -> Job:
        """Until the job's background work is over (tests and the benchmark)."""
        job = self.jobs[job_id]
        if job.task is not None:
            await asyncio.shield(job.task)
        return job

    def clear(self) -> None:
        """Forget every job (admin reset), stopping any still running."""
        for job in self.jobs.values():
            if job.task is not None and not job.task.done():
                job.task.cancel()
        self.jobs.clear()

    # --- job JSON -----------------------------------------------------------------------

    @staticmethod
    def _head(job: Job) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": job.id,
            "operation": job.operation,
            "object": job.object,
            "createdById": job.created_by,
            "createdDate": job.created_date,
            "systemModstamp": job.system_modstamp,
            "state": job.state,
        }
        if isinstance(job, IngestJob) and job.external_id_field:
            body["externalIdFieldName"] = job.external_id_field
        body["concurrencyMode"] = "Parallel"
        body["contentType"] = "CSV"
        body["apiVersion"] = float(job.api_version)
        return body

    def created_json(self, job: Job) -> dict[str, Any]:
        body = self._head(job)
        if isinstance(job, IngestJob):
            body["contentUrl"] = f"services/data/v{job.api_version}/jobs/ingest/{job.id}/batches"
        body["lineEnding"] = job.line_ending
        body["columnDelimiter"] = job.column_delimiter
        return body

    def info_json(self, job: Job) -> dict[str, Any]:
        body = self._head(job)
        body["jobType"] = "V2Ingest" if isinstance(job, IngestJob) else "V2Query"
        if isinstance(job, IngestJob) and job.state == "Open":
            body["contentUrl"] = f"services/data/v{job.api_version}/jobs/ingest/{job.id}/batches"
        body["lineEnding"] = job.line_ending
        body["columnDelimiter"] = job.column_delimiter
        body["numberRecordsProcessed"] = job.processed
        if isinstance(job, IngestJob):
            body["numberRecordsFailed"] = job.failed
        body["retries"] = 0
        body["totalProcessingTime"] = job.processing_ms
        if isinstance(job, IngestJob):
            body["apiActiveProcessingTime"] = job.processing_ms
            body["apexProcessingTime"] = 0
        if job.error_message:
            body["errorMessage"] = job.error_message
        return body

    def list_json(self, kind: str, request: Request) -> dict[str, Any]:
        """Get All Jobs: up to `LIST_PAGE` jobs a page; `nextRecordsUrl` carries a
        `queryLocator` for the next page (here the position of its first job)."""
        wanted = request.query_params.get("jobType")
        locator = request.query_params.get("queryLocator") or "0"
        start = int(locator) if locator.isdigit() else 0
        records = []
        for job in self.jobs.values():
            if job.kind != kind:
                continue
            item = self._head(job)
            item["jobType"] = "V2Ingest" if kind == "ingest" else "V2Query"
            if wanted and item["jobType"] != wanted:
                continue
            item["lineEnding"] = job.line_ending
            item["columnDelimiter"] = job.column_delimiter
            records.append(item)
        page = records[start:start + LIST_PAGE]
        if start + LIST_PAGE >= len(records):
            return {"done": True, "records": page, "nextRecordsUrl": None}
        query = urlencode({**({"jobType": wanted} if wanted else {}),
                           "queryLocator": str(start + LIST_PAGE)})
        return {"done": False, "records": page,
                "nextRecordsUrl": f"{request.url.path}?{query}"}

    # --- shared create checks -----------------------------------------------------------

    @staticmethod
    def _format(body: dict[str, Any]) -> tuple[str, str]:
        content_type = body.get("contentType", "CSV")
        if content_type != "CSV":
            raise _bad_value("contentType", content_type)
        line_ending = body.get("lineEnding", "LF")
        if line_ending not in LINE_ENDINGS:
            raise _bad_value("lineEnding", line_ending)
        delimiter = body.get("columnDelimiter", "COMMA")
        if delimiter not in DELIMITERS:
            raise _bad_value("columnDelimiter", delimiter)
        return line_ending, delimiter

    def _user(self, request: Request) -> str:
        return acting_user(request) or self.org.acting_user

    # --- ingest routes ------------------------------------------------------------------

    async def create_ingest(self, request: Request) -> Response:
        version = bulk_version(request)
        body = await read_json_object(request)
        operation = body.get("operation")
        if operation not in OPERATIONS:
            raise _bad_value("operation", operation)
        line_ending, delimiter = self._format(body)
        name = str(body.get("object") or "")
        obj = self.org.schema.get(name) if name else None
        if obj is None:
            raise _api_error("INVALIDJOB", f"InvalidJob : Unable to find object: {name}")
        ext = body.get("externalIdFieldName")
        if operation == "upsert":
            ext = self._key_field(obj.name, str(ext or ""))
        else:
            ext = None
        now = _now()
        job = IngestJob(
            id=self._ids.new("750"), operation=operation, object=obj.name,
            created_by=self._user(request), created_date=now, system_modstamp=now,
            api_version=version, external_id_field=ext, line_ending=line_ending,
            column_delimiter=delimiter,
        )  # fmt: skip
        self.jobs[job.id] = job
        return SalesforceJSON(self.created_json(job))

    def _key_field(self, sobject: str, name: str) -> str:
        refused = _api_error(
            "INVALIDJOB",
            f"InvalidJob : Field name provided, {name} does not match an External ID, "
            f"Salesforce Id, or indexed field for {sobject}",
        )
        if not name:
            raise refused
        try:
            return self.org.table(sobject).key_field(name).name
        except ApiError:
            raise refused from None

    async def upload(self, request: Request) -> Response:
        bulk_version(request)
        job = self.get(str(request.path_params["job_id"]), "ingest")
        if not isinstance(job, IngestJob):  # pragma: no cover - `get` checked the kind
            raise _api_error("NOT_FOUND", NOT_FOUND_MESSAGE, 404)
        if job.state != "Open":
            raise _api_error(
                "INVALIDJOBSTATE", f"Job [{job.id}] is not in the Open state: {job.state}", 409
            )
        if job.data is not None:
            raise _api_error(
                "BULK_API_ERROR",
                f"Found multipe contents for job: <{job.id[:15]}>, please 'Close' / 'Abort' / "
                "'Delete' the current Job then create a new Job and make sure you only do 'PUT' "
                "once on a given Job.",
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise _api_error(
                    "CLIENTINPUTERROR", "ClientInputError : Content exceeds the 150 MB limit"
                )
            chunks.append(chunk)
        job.accept_upload(b"".join(chunks))
        return Response(status_code=201)

    async def patch_job(self, request: Request, kind: str) -> Response:
        bulk_version(request)
        job = self.get(str(request.path_params["job_id"]), kind)
        body = await read_json_object(request)
        state = body.get("state")
        if state == "Aborted":
            if job.state in TERMINAL:
                shown = "Completed" if job.state == "JobComplete" else job.state
                raise _api_error("INVALIDJOBSTATE", f"Aborting already {shown} Job not allowed")
            # A running job stops at its next chunk; rows not reached stay unprocessed.
            job.abort_requested = True
            job.state = "Aborted"
        elif state == "UploadComplete" and isinstance(job, IngestJob):
            if job.state != "Open":
                shown = "Completed" if job.state == "JobComplete" else job.state
                raise _api_error("INVALIDJOBSTATE", f"Closing already {shown} Job not allowed")
            job.state = "UploadComplete"
            self._start(job)
        elif state in ("Open", "UploadComplete", "InProgress", "JobComplete", "Failed"):
            raise _api_error("INVALIDJOBSTATE", f"Invalid job state transition: {state}")
        else:
            raise _bad_value("state", state)
        job.system_modstamp = _now()
        return SalesforceJSON(self._head(job))

    async def delete_job(self, request: Request, kind: str) -> Response:
        bulk_version(request)
        job = self.get(str(request.path_params["job_id"]), kind)
        if job.state in ("Open", "InProgress") and kind == "ingest":
            raise _api_error(
                "INVALIDJOBSTATE", f"Deleting a job in state {job.state} is not allowed"
            )
        if job.task is not None and not job.task.done():
            job.task.cancel()
        self.jobs.pop(job.id, None)
        return Response(status_code=204)

    async def results(self, request: Request, which: str) -> Response:
        bulk_version(request)
        job = self.get(str(request.path_params["job_id"]), "ingest")
        assert isinstance(job, IngestJob)
        if job.state not in TERMINAL:
            raise _api_error(
                "INVALIDJOBSTATE", f"Job [{job.id}] is not complete: state {job.state}", 409
            )
        return StreamingResponse(job.result_csv(which), headers={"Content-Type": "text/csv"})

    # --- query routes -------------------------------------------------------------------

    async def create_query(self, request: Request) -> Response:
        version = bulk_version(request)
        body = await read_json_object(request)
        operation = body.get("operation", "query")
        if operation not in QUERY_OPERATIONS:
            raise _bad_value("operation", operation)
        soql = body.get("query")
        if not isinstance(soql, str) or not soql.strip():
            raise _bad_value("query", soql)
        line_ending, delimiter = self._format(body)
        sobject = parse(soql).sobject
        obj = self.org.schema.get(sobject)
        now = _now()
        job = QueryJob(
            id=self._ids.new("750"), operation=operation, object=obj.name if obj else sobject,
            query=soql, created_by=self._user(request), created_date=now, system_modstamp=now,
            api_version=version, line_ending=line_ending, column_delimiter=delimiter,
        )  # fmt: skip
        job.run(self.org)
        self.jobs[job.id] = job
        self._start(job)
        return SalesforceJSON(self.created_json(job))

    async def query_results(self, request: Request) -> Response:
        bulk_version(request)
        job = self.get(str(request.path_params["job_id"]), "query")
        assert isinstance(job, QueryJob)
        if job.state != "JobComplete":
            raise _api_error(
                "INVALIDJOBSTATE", f"Job [{job.id}] is not complete: state {job.state}", 409
            )
        raw_max = request.query_params.get("maxRecords")
        max_records = None
        if raw_max is not None:
            if not raw_max.isdigit() or int(raw_max) < 1:
                raise _bad_value("maxRecords", raw_max)
            max_records = int(raw_max)
        body, locator, count = job.page(request.query_params.get("locator"), max_records)
        headers = {
            "Content-Type": "text/csv",
            "Sforce-Locator": locator,
            "Sforce-NumberOfRecords": str(count),
        }
        return Response(body, headers=headers)

    def results_of(self, which: str) -> Any:
        async def handler(request: Request) -> Response:
            return await self.results(request, which)

        handler.__name__ = which
        return handler


def bulk_version(request: Request) -> str:
    """The path's version ("62.0"); Bulk API 2.0 answers 404 below v41.0."""
    version = api_version(request)
    if int(float(version)) < OLDEST_BULK_VERSION:
        raise _api_error("NOT_FOUND", NOT_FOUND_MESSAGE, 404)
    return version
