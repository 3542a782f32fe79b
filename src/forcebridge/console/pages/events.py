"""Events: failures kept until someone resolves or retries them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.errors import ForcebridgeError
from forcebridge.integrations import retries
from forcebridge.services import events, integrations
from forcebridge.store.runs import EVENT_STATUSES

router = APIRouter()
PAGE = 50


@router.get("/events")
def list_page(request: Request, message: str | None = None) -> Response:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    q = request.query_params
    filters = {
        "status": q.get("status", "open"),
        "integration": q.get("integration", ""),
        "kind": q.get("kind", ""),
    }
    with rt.db.begin() as s:
        found = events.list_events(
            s, who.tenant_id, status=filters["status"] or None,
            integration=filters["integration"] or None, kind=filters["kind"] or None,
            limit=PAGE, cursor=q.get("cursor") or None,
        )
        rows = found.items
        names = [i.name for i in integrations.list_all(s, who.tenant_id)]
    return render(
        request, "events/list.html", who, events=rows, filters=filters, names=names,
        statuses=EVENT_STATUSES, next_cursor=found.next_cursor, message=message,
    )


@router.get("/events/{event_id}")
def detail_page(request: Request, event_id: str) -> Response:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        event = events.views(s, [events.get(s, who.tenant_id, event_id)])[0]
    return render(request, "events/detail.html", who, e=event)


def _chosen(form: FormData) -> list[str]:
    return [str(v) for v in form.getlist("ids")]


@router.post("/events/resolve")
async def resolve(request: Request) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    try:
        with rt.db.begin() as s:
            events.resolve(s, who.tenant_id, _chosen(form), who.actor)
    except ForcebridgeError as exc:
        return list_page(request, message=exc.message)
    return RedirectResponse(viewers.safe_path(str(form.get("back") or "/events")), status_code=303)


@router.post("/events/retry")
async def retry(request: Request) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    try:
        done = await retries.retry(rt, who.tenant_id, _chosen(form), actor=who.actor)
    except ForcebridgeError as exc:
        return list_page(request, message=exc.message)
    if done.run_id:
        return RedirectResponse(f"/runs/{done.run_id}", status_code=303)
    return RedirectResponse(viewers.safe_path(str(form.get("back") or "/events")), status_code=303)
