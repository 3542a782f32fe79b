"""Run history: what each run of an integration did, as the API, CLI and console show it.

The runs engine (`forcebridge.runs`) writes runs; this module only reads them, so the faces
have one way to list and show them, tenant-isolated like everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.errors import InvalidInput, NotFound
from forcebridge.services import integration_lookup
from forcebridge.services.pages import DEFAULT_LIMIT, find_by_id, newest_first, page
from forcebridge.store.db import Database
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Event, Run

COUNTS = ("read", "filtered", "created", "updated", "unchanged", "deleted", "failed")


def list_runs(
    session: Session,
    tenant_id: str,
    integration: str,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> RunPage:
    """The integration's runs (by name or id), newest first, as every face shows them."""
    found = integration_lookup.get(session, tenant_id, integration)
    query = select(Run).where(Run.tenant_id == tenant_id, Run.integration_id == found.id)
    return _page(session, query, limit, cursor)


RUN_STATUSES = ("queued", "running", "waiting_for_api_budget", "succeeded", "partial", "failed")


def list_tenant_runs(
    session: Session,
    tenant_id: str,
    *,
    integration: str | None = None,
    status: str | None = None,
    trigger: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> RunPage:
    """The tenant's runs, newest first, optionally of one integration (name or id), one
    status and one trigger."""
    query = select(Run).where(Run.tenant_id == tenant_id)
    if integration:
        found = integration_lookup.get(session, tenant_id, integration)
        query = query.where(Run.integration_id == found.id)
    if status:
        if status not in RUN_STATUSES:
            raise InvalidInput.field("status", f"must be one of: {', '.join(RUN_STATUSES)}")
        query = query.where(Run.status == status)
    if trigger:
        query = query.where(Run.trigger == trigger.strip())
    return _page(session, query, limit, cursor)


def _page(session: Session, query: Select[Run], limit: int, cursor: str | None) -> RunPage:
    query = newest_first(query, Run.started_at, Run.id, limit=limit, cursor=cursor)
    found = page(list(session.scalars(query)), limit, lambda r: (r.started_at, r.id))
    return RunPage(items=views(session, found.items), next_cursor=found.next_cursor)


def latest_by_integration(session: Session, tenant_id: str) -> dict[str, Run]:
    """Each integration's most recent run, for lists that show the last run's status."""
    newest = (
        select(Run.integration_id, func.max(Run.started_at).label("at"))
        .where(Run.tenant_id == tenant_id)
        .group_by(Run.integration_id)
        .subquery()
    )
    query = select(Run).join(
        newest, (Run.integration_id == newest.c.integration_id) & (Run.started_at == newest.c.at)
    )
    return {run.integration_id: run for run in session.scalars(query)}


def get(session: Session, tenant_id: str, run_id: str) -> Run:
    """One run of the tenant, by id or a unique id prefix (a table's short id); another
    tenant's run is not found."""
    run = find_by_id(session, Run, tenant_id, run_id)
    if not isinstance(run, Run):
        raise NotFound(f"run {run_id!r} not found")
    if run.status in ("queued", "running", "waiting_for_api_budget"):
        # its process may have died: ended as it is looked at
        integration_lookup.get(session, tenant_id, run.integration_id)
        session.refresh(run)
    return run


class RunView(BaseModel):
    """A run as every face shows it: trigger, timing, status, counts, API calls, events."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: str
    integration_id: str
    integration: str | None
    trigger: str = Field(description="manual, schedule, api, push or retry.")
    status: str = Field(description="running, succeeded, partial or failed.")
    scheduled_for: datetime | None
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float | None
    counts: dict[str, int] = Field(description="Records " + ", ".join(COUNTS) + ".")
    api_calls: int
    reconciliation: Any = Field(description="What reconciling with the org found, if it ran.")
    error: str | None
    events: int | None = Field(description="How many events this run opened or saw again.")


class RunPage(BaseModel):
    """One page of runs, newest first; `next_cursor` is null on the last page."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    items: list[RunView]
    next_cursor: str | None


def public_view(
    run: Run, integration_name: str | None = None, events: int | None = None
) -> RunView:
    """A run as shown: trigger, timing, status, counts, API calls, and its events' number."""
    ended = run.ended_at
    return RunView.model_validate({
        "id": run.id,
        "integration_id": run.integration_id,
        "integration": integration_name,
        "trigger": run.trigger,
        "status": run.status,
        "scheduled_for": run.scheduled_for,
        "started_at": run.started_at,
        "ended_at": ended,
        "duration_seconds": round((ended - run.started_at).total_seconds(), 3) if ended else None,
        "counts": {name: getattr(run, name) for name in COUNTS},
        "api_calls": run.api_calls,
        "reconciliation": run.reconciliation,
        "error": log.redact(run.error),
        "events": events,
    })


def views(session: Session, runs: Sequence[Run]) -> list[RunView]:
    """`public_view` of each run with its integration's name and number of events, in two
    queries for the whole list."""
    if not runs:
        return []
    ids = [r.id for r in runs]
    # a run's events: those it opened and those it saw last (a record failing again)
    sightings = union(
        select(Event.run_id.label("run_id"), Event.id).where(Event.run_id.in_(ids)),
        select(Event.last_run_id.label("run_id"), Event.id).where(Event.last_run_id.in_(ids)),
    ).subquery()
    per_run = select(sightings.c.run_id, func.count().label("n")).group_by(sightings.c.run_id)
    counts = {row.run_id: int(row.n) for row in session.execute(per_run)}
    named = select(Integration.id, Integration.name).where(
        Integration.id.in_({r.integration_id for r in runs})
    )
    names = {row.id: row.name for row in session.execute(named)}
    return [public_view(r, names.get(r.integration_id), counts.get(r.id, 0)) for r in runs]


def view(session: Session, run: Run) -> RunView:
    return views(session, [run])[0]


def shown(db: Database, tenant_id: str, run_id: str) -> RunView:
    """One run's view in a transaction of its own (async callers run it in a thread)."""
    with db.begin() as session:
        return view(session, get(session, tenant_id, run_id))
