"""Bulk API 2.0 routes: `/services/data/vXX.X/jobs/ingest` and `/jobs/query`, each through
`call_api` (session, usage count, faults, error shapes); the jobs themselves are `BulkJobs`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from forcebridge_emulator._bulk_jobs import BASE, BulkJobs, bulk_version
from forcebridge_emulator._http import SalesforceJSON
from forcebridge_emulator._pipeline import sf_route


def routes(jobs: BulkJobs) -> list[BaseRoute]:
    async def ingest_list(request: Request) -> Response:
        bulk_version(request)
        return SalesforceJSON(jobs.list_json("ingest", request))

    async def query_list(request: Request) -> Response:
        bulk_version(request)
        return SalesforceJSON(jobs.list_json("query", request))

    async def ingest_info(request: Request) -> Response:
        bulk_version(request)
        return SalesforceJSON(jobs.info_json(jobs.get(request.path_params["job_id"], "ingest")))

    async def query_info(request: Request) -> Response:
        bulk_version(request)
        return SalesforceJSON(jobs.info_json(jobs.get(request.path_params["job_id"], "query")))

    async def ingest_patch(request: Request) -> Response:
        return await jobs.patch_job(request, "ingest")

    async def query_patch(request: Request) -> Response:
        return await jobs.patch_job(request, "query")

    async def ingest_delete(request: Request) -> Response:
        return await jobs.delete_job(request, "ingest")

    async def query_delete(request: Request) -> Response:
        return await jobs.delete_job(request, "query")

    ingest, query = f"{BASE}/ingest", f"{BASE}/query"
    one_ingest, one_query = f"{ingest}/{{job_id}}", f"{query}/{{job_id}}"
    return [
        *sf_route(ingest, jobs.create_ingest, ["POST"]),
        *sf_route(ingest, ingest_list, ["GET"]),
        *sf_route(f"{one_ingest}/batches", jobs.upload, ["PUT"]),
        *(
            route
            for which in ("successfulResults", "failedResults", "unprocessedrecords")
            for route in sf_route(f"{one_ingest}/{which}", jobs.results_of(which), ["GET"])
        ),
        *sf_route(one_ingest, ingest_info, ["GET"]),
        *sf_route(one_ingest, ingest_patch, ["PATCH"]),
        *sf_route(one_ingest, ingest_delete, ["DELETE"]),
        *sf_route(query, jobs.create_query, ["POST"]),
        *sf_route(query, query_list, ["GET"]),
        *sf_route(f"{one_query}/results", jobs.query_results, ["GET"]),
        *sf_route(one_query, query_info, ["GET"]),
        *sf_route(one_query, query_patch, ["PATCH"]),
        *sf_route(one_query, query_delete, ["DELETE"]),
    ]
