"""Integrations: list with last run and next scheduled time, details, plan, run now,
enable and disable with the reason shown."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from forcebridge.console import viewer as viewers
from forcebridge.console.pages import publishing
from forcebridge.console.rendering import render
from forcebridge.errors import ForcebridgeError, NotFound
from forcebridge.http_status import status_of
from forcebridge.runs import plan_integration
from forcebridge.scheduling.queued import start_run
from forcebridge.scheduling.wording import in_words, next_times
from forcebridge.services import integrations
from forcebridge.services import runs as run_history
from forcebridge.store.types import utcnow

router = APIRouter()

KINDS = {
    "entity_sync": "entity sync",
    "event_publish": "event publishing",
    "inbound_form": "inbound form",
}


def _schedule(view: dict[str, Any]) -> dict[str, Any]:
    expression = view.get("schedule")
    if not expression:
        return {"words": None, "next": []}
    return {"words": in_words(expression), "next": next_times(expression, utcnow())}


@router.get("/integrations")
def list_page(request: Request) -> Response:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        found = integrations.list_all(s, who.tenant_id)
        last = run_history.latest_by_integration(s, who.tenant_id)
        rows = []
        for integration in found:
            view = integrations.public_view(s, integration).model_dump()
            run = last.get(integration.id)
            view["last_run"] = run_history.public_view(run) if run else None
            view["schedule_words"] = _schedule(view)["words"]
            rows.append(view)
    return render(request, "integrations/list.html", who, integrations=rows, kinds=KINDS)


def _detail(request: Request, ref: str, **extra: Any) -> Response:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        integration = integrations.get(s, who.tenant_id, ref)
        view = integrations.public_view(s, integration).model_dump()
        recent = run_history.list_runs(s, who.tenant_id, integration.id, limit=10)
        runs = recent.items
    if view["kind"] == "inbound_form":
        extra["form"] = publishing.form_section(rt, who.tenant_id, view["id"])
    elif view["kind"] == "event_publish":
        extra["outbox"] = publishing.outbox_section(rt, who.tenant_id, view["id"])
    return render(
        request, "integrations/detail.html", who,
        status_code=extra.pop("status_code", 200),
        i=view, runs=runs, kinds=KINDS, schedule=_schedule(view), **extra,
    )


@router.get("/integrations/{ref}")
def detail_page(request: Request, ref: str) -> Response:
    return _detail(request, ref)


@router.post("/integrations/{ref}/plan")
async def plan(request: Request, ref: str) -> Response:
    """What a run would do, checked against the org's live describe; writes nothing."""
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    try:
        report = (await plan_integration(rt, who.tenant_id, ref)).as_dict()
        error = None
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound):
            raise
        report, error = None, exc.message
    if request.headers.get("hx-request"):
        return render(request, "integrations/plan.html", who, plan=report, plan_error=error)
    return _detail(request, ref, plan=report, plan_error=error)


@router.post("/integrations/{ref}/run")
async def run_now(request: Request, ref: str) -> Response:
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    try:
        run_id = await start_run(rt, who.tenant_id, ref, trigger="console")
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound):
            raise
        return _detail(request, ref, message=exc.message, status_code=status_of(exc))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/integrations/{ref}/enable")
async def enable(request: Request, ref: str) -> Response:
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        integration_id = integrations.enable(s, who.tenant_id, ref, actor=who.actor).id
    return RedirectResponse(f"/integrations/{integration_id}", status_code=303)


@router.post("/integrations/{ref}/disable")
async def disable(request: Request, ref: str) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    reason = str(form.get("reason") or "")
    try:
        with rt.db.begin() as s:
            integration_id = integrations.disable(
                s, who.tenant_id, ref, reason=reason, actor=who.actor
            ).id
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound):
            raise
        return _detail(request, ref, message=exc.message, status_code=status_of(exc))
    return RedirectResponse(f"/integrations/{integration_id}", status_code=303)
