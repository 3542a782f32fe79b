"""Runs of an integration: start one, plan one, list them, and records pushed to a push source.

Starting a run answers `202` with the run as soon as it holds the integration's run lock,
while it goes on in the background on the server's event loop, or, with a broker
configured, queued for the workers (`?wait=true` answers with the finished run instead). Refusals a run decides up front (already running, disabled, not
connected) are `409` either way.
"""

from __future__ import annotations

from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from forcebridge.api.auth import Principal, require_scope, runtime
from forcebridge.runs import (
    DEFAULT_PLAN_RECORDS,
    MAX_PLAN_RECORDS,
    plan_integration,
    run_integration,
)
from forcebridge.runtime import Runtime
from forcebridge.scheduling import queued
from forcebridge.services import integrations, pushed
from forcebridge.services import runs as run_history
from forcebridge.services.pages import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT
from forcebridge.services.runs import RunPage, RunView

router = APIRouter(tags=["runs"])

_read = require_scope("integrations:read")
_write = require_scope("integrations:write")
_push = require_scope("records:write")


class PushBody(BaseModel):
    """Records for a push source: objects of column values, each with the key column."""

    model_config = ConfigDict(extra="forbid")

    records: list[Any]


class RemoveBody(BaseModel):
    """Keys of pushed records that are gone from the product."""

    model_config = ConfigDict(extra="forbid")

    keys: list[Any]


class ProblemOut(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    field: str
    reason: str


class PlannedFieldOut(BaseModel):
    field: str
    value: Any = Field(description="What a run would write.")
    org: Any = Field(description="What the org holds now (updates whose values were read).")
    compared: bool = Field(description="Whether the org's value was read and compared.")
    differs: bool = Field(description="Whether a run would change it (true when not compared).")


class PlannedRecordOut(BaseModel):
    key: str | None
    action: Literal["create", "update", "delete", "reject"]
    salesforce_id: str | None
    line: int | None = Field(description="The record's line in the source.")
    fields: list[PlannedFieldOut]
    changed_fields: list[str] = Field(description="The fields a run would change.")
    problems: list[ProblemOut] = Field(description="Why a rejected record cannot be written.")


class PlanOut(BaseModel):
    """Every problem, then what a run would do (counts are 0 while there are problems)."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    problems: list[ProblemOut]
    org_id: str | None = Field(description="The org the connection reaches.")
    state_records: int = Field(description="Records that org's sync state holds.")
    would_create: int
    would_update: int
    would_unchanged: int
    would_delete: int
    would_filtered: int
    would_invalid: int
    would_send: int = Field(description="Records a run would write (created or updated).")
    reconcile_api_calls: int = Field(description="API calls a run with reconcile would use.")
    records: list[PlannedRecordOut] = Field(
        description="The first records a run would change, in source order, deletions last.")
    records_more: bool = Field(description="Other records a run would change were left out.")
    org_values_note: str | None = Field(
        description="Why the org's current values of the listed updates are missing.")
    api_used: int | None = Field(description="The org's API calls used, as it last said.")
    api_allocation: int | None = Field(description="The org's daily API allocation.")
    api_budget: int | None = Field(description="The runs' share of that allocation.")


class Pushed(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    integration: str
    accepted: int = Field(description="Records stored for the next run.")


class Removed(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    integration: str
    removed: int = Field(description="Pushed records forgotten.")


@router.post("/integrations/{ref}/runs", status_code=202,
             responses={200: {"model": RunView, "description": "With `wait=true`: the ended run."}})
async def start_run(
    ref: str,
    response: Response,
    wait: bool = Query(default=False, description="Answer when the run ended, with its counts."),
    full: bool = Query(default=False, description="Read every row, also of a SQL source with "
                       "a cursor column (its cursor restarts from this run)."),
    reconcile: bool = Query(default=False, description="Read back from the org what the "
                            "integration owns and repair the difference: missing records, "
                            "drifted fields (per owner), lost links, orphans."),
    who: Principal = Depends(_write),
    rt: Runtime = Depends(runtime),
) -> RunView:
    """Run now (trigger `api`). `202` with the run while it goes on; poll `GET /runs/{id}`.
    With a broker configured the run is queued for the workers (status `queued` until one
    starts it) and this process runs nothing."""
    if wait and not rt.settings.broker_url:
        run_id = await run_integration(rt, who.tenant_id, ref, trigger="api", full=full,
                                       reconcile=reconcile)
        response.status_code = 200
    else:
        run_id = await queued.start_run(rt, who.tenant_id, ref, trigger="api", full=full,
                                        reconcile=reconcile)
        if wait:
            await queued.ended(rt, who.tenant_id, run_id)
            response.status_code = 200
    response.headers["Location"] = f"/api/v1/runs/{run_id}"
    return await anyio.to_thread.run_sync(run_history.shown, rt.db, who.tenant_id, run_id)


@router.get("/integrations/{ref}/runs")
def list_runs(
    ref: str,
    limit: int = Query(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(default=None, pattern=CURSOR_PATTERN,
                               description="`next_cursor` of the previous page."),
    who: Principal = Depends(_read),
    rt: Runtime = Depends(runtime),
) -> RunPage:
    """Newest first; follow `next_cursor` for older runs."""
    with rt.db.begin() as s:
        return run_history.list_runs(s, who.tenant_id, ref, limit=limit, cursor=cursor)


@router.get("/runs/{run_id}")
def get_run(
    run_id: str, who: Principal = Depends(_read), rt: Runtime = Depends(runtime)
) -> RunView:
    return run_history.shown(rt.db, who.tenant_id, run_id)


@router.post("/integrations/{ref}/plan", response_model=PlanOut)
async def plan(
    ref: str,
    records: int = Query(default=DEFAULT_PLAN_RECORDS, ge=0, le=MAX_PLAN_RECORDS,
                         description="How many of the records a run would change to list, "
                         "field by field (`records`; `records_more` says others were left out)."),
    who: Principal = Depends(_write), rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Check the integration against the org's live describe and its source; writes nothing.
    Problems (each naming the field and the reason), what a run would do, and the first
    records it would change, field by field (an update's fields with the org's current
    values, read with one query). It spends API calls and reads the source like a run, so it
    needs `integrations:write` like a run."""
    report = await plan_integration(rt, who.tenant_id, ref, records=records)
    result: dict[str, Any] = report.as_dict()
    return result


@router.post("/integrations/{ref}/records", response_model=Pushed)
def push_records(
    ref: str, body: PushBody, who: Principal = Depends(_push), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """Store records for the integration's next run (latest per key wins). They are
    committed before this answers; at most 10,000 per call."""
    with rt.db.begin() as s:
        integration = integrations.get(s, who.tenant_id, ref)
        accepted = pushed.push(s, integration, body.records)
        return {"integration": integration.name, "accepted": accepted}


@router.delete("/integrations/{ref}/records", response_model=Removed)
def remove_records(
    ref: str, body: RemoveBody, who: Principal = Depends(_push), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """Forget pushed records by key; in mirror mode the next run deletes them from Salesforce."""
    with rt.db.begin() as s:
        integration = integrations.get(s, who.tenant_id, ref)
        removed = pushed.remove(s, integration, body.keys)
        return {"integration": integration.name, "removed": removed}
