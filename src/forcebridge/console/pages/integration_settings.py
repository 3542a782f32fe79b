"""An integration's settings: attach or detach its connection, its schedule (previewed in
plain words as it is typed), and who is notified. Saved through the integration service,
which checks a changed connection against its org like the API does."""

from __future__ import annotations

from typing import Any

import pydantic
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.console.viewer import Viewer
from forcebridge.errors import ForcebridgeError, InvalidInput, NotFound
from forcebridge.http_status import status_of
from forcebridge.integrations import saves as integration_saves
from forcebridge.scheduling.wording import in_words, next_times
from forcebridge.services import connections, integrations, users
from forcebridge.services.integrations import IntegrationInput
from forcebridge.store.types import utcnow

router = APIRouter()


def _form(request: Request, who: Viewer, ref: str, values: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        view = integrations.show(s, who.tenant_id, ref).model_dump()
        conns = [c.name for c in connections.list_all(s, who.tenant_id)]
        people = [(u.email, u.name) for u in users.list_all(s, who.tenant_id)]
    shown = {"connection": view["connection"] or "", "schedule": view["schedule"] or "",
             "notify": list(view["notify"])} | (values or {})
    return render(
        request, "integrations/settings.html", who, status_code=status_code, i=view,
        connections=conns, people=people, v=shown, errors=errors or {},
        preview=preview(str(shown["schedule"])),
    )


def preview(expression: str, *, creating: bool = False) -> dict[str, Any]:
    """The schedule in words and its next three times, or why it is not a schedule."""
    if not expression.strip():
        words = ("every hour, at a minute from :00 to :09 chosen for the integration"
                 if creating else "not scheduled: runs only when started")
        return {"words": words, "next": [], "error": None}
    try:
        cleaned = integrations.check_schedule(expression)
    except InvalidInput as exc:
        return {"words": None, "next": [], "error": exc.details[0]["reason"]}
    return {"words": in_words(cleaned), "next": next_times(cleaned, utcnow()), "error": None}


@router.get("/integrations/{ref}/settings")
def settings_page(request: Request, ref: str) -> Response:
    return _form(request, viewers.current(request), ref)


@router.get("/schedule-preview")
def schedule_preview(request: Request, schedule: str = "", creating: bool = False) -> Response:
    """The schedule in words and its next times, swapped in beside the field as it is typed
    (`creating`: an empty one means the hourly default of a new integration)."""
    who = viewers.current(request)
    return render(request, "integrations/schedule_preview.html", who,
                  preview=preview(schedule, creating=creating))


@router.post("/integrations/{ref}/settings")
async def save(request: Request, ref: str) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    values: dict[str, Any] = {
        "connection": str(form.get("connection") or ""),
        "notify": [str(v) for v in form.getlist("notify")],
    }
    if "schedule" in form:
        values["schedule"] = str(form.get("schedule") or "")
    try:
        data = IntegrationInput(**{k: (v if v != "" else None) if k == "schedule" else v
                                   for k, v in values.items()})
        saved = await integration_saves.save(rt, who.tenant_id, data, ref=ref, actor=who.actor)
    except pydantic.ValidationError as exc:
        problem = InvalidInput.from_pydantic(exc)
        return _form(request, who, ref, values, _errors(problem), status_code=422)
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound) and not exc.details:
            raise
        return _form(request, who, ref, values, _errors(exc), status_code=status_of(exc))
    return RedirectResponse(f"/integrations/{saved.id}", status_code=303)


def _errors(exc: ForcebridgeError) -> dict[str, str]:
    found: dict[str, str] = {}
    for d in exc.details:
        name = str(d.get("field") or "").split(".")[0]
        found.setdefault(name if name in ("connection", "schedule", "notify") else "general",
                         str(d.get("reason")))
    return found or {"general": exc.message}
