"""Runs: the tenant's history with filters, and one run with its events, updating while it
goes on (htmx polls the run's panel)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.services import events, integrations
from forcebridge.services import runs as run_history
from forcebridge.services.events import EventView
from forcebridge.services.runs import RunView

router = APIRouter()
PAGE = 50


@router.get("/runs")
def list_page(request: Request) -> Response:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    q = request.query_params
    filters = {k: q.get(k, "") for k in ("integration", "status", "trigger")}
    with rt.db.begin() as s:
        found = run_history.list_tenant_runs(
            s, who.tenant_id, limit=PAGE, cursor=q.get("cursor") or None,
            **{k: v or None for k, v in filters.items()},
        )
        runs = found.items
        names = [i.name for i in integrations.list_all(s, who.tenant_id)]
    return render(
        request, "runs/list.html", who, runs=runs, filters=filters, names=names,
        statuses=run_history.RUN_STATUSES, next_cursor=found.next_cursor,
    )


def _run(request: Request, run_id: str) -> tuple[RunView, list[EventView]]:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        run = run_history.get(s, who.tenant_id, run_id)
        view = run_history.view(s, run)
        found = events.list_events(s, who.tenant_id, run_id=run.id, status=None, limit=200)
        return view, found.items


@router.get("/runs/{run_id}")
def detail_page(request: Request, run_id: str) -> Response:
    who = viewers.current(request)
    run, run_events = _run(request, run_id)
    return render(request, "runs/detail.html", who, run=run, events=run_events)


@router.get("/runs/{run_id}/panel")
def panel(request: Request, run_id: str) -> Response:
    """The run's status and counts alone: what the running page polls."""
    who = viewers.current(request)
    run, run_events = _run(request, run_id)
    return render(request, "runs/panel.html", who, run=run, events=run_events)
