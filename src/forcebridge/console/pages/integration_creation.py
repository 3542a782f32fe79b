"""A new entity sync: name, connection, a source among the data sources the operator granted
to the tenant (or records pushed through the API), target object and field mappings suggested
from the org's live describe (only the fields the mode can write, required ones marked), mode,
namespace, account filters, schedule (previewed in words) and who is notified.

Saved through `integrations.saves.save` like `POST /api/v1/integrations`, which checks the
mapping against the org; every refusal is shown and what was typed is kept.
"""

from __future__ import annotations

import re
from typing import Any

import pydantic
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from forcebridge.console import viewer as viewers
from forcebridge.console.pages import integration_settings, mapping_editor
from forcebridge.console.rendering import render
from forcebridge.console.viewer import Viewer
from forcebridge.errors import ForcebridgeError, InvalidInput, NotFound
from forcebridge.http_status import status_of
from forcebridge.integrations import saves as integration_saves
from forcebridge.services import connections, data_sources, users
from forcebridge.services.integrations import IntegrationInput
from forcebridge.sync.mapping import SyncMode

router = APIRouter()
FILE_FORMATS = ("csv", "jsonl")
_SOURCE_FIELDS = ("table", "query", "path", "key_column", "account_column")


def _source(form: FormData) -> dict[str, Any]:
    """The source spec the form describes: `push`, or `<kind>:<granted source name>`."""
    chosen = str(form.get("source") or "push")
    kind, _, name = chosen.partition(":")
    values = {f: str(form.get(f) or "").strip() for f in _SOURCE_FIELDS}
    spec: dict[str, Any] = {"key_column": values["key_column"],
                            "account_column": values["account_column"] or None}
    if kind == "sql":
        spec |= {"kind": "sql", "name": name, "table": values["table"] or None,
                 "query": values["query"] or None}
    elif kind == "files":
        file_format = str(form.get("file_format") or "csv")
        spec |= {"kind": file_format if file_format in FILE_FORMATS else "csv", "name": name,
                 "path": values["path"]}
    else:
        spec |= {"kind": "push"}
    return {k: v for k, v in spec.items() if v is not None}


def _config(form: FormData) -> dict[str, Any]:
    base: dict[str, Any] = {"source": _source(form), "mapping": {"target": {}, "mappings": []}}
    return mapping_editor.edited_config(base, form, "entity_sync")


def _typed(form: FormData | None) -> dict[str, Any]:
    """What the user typed, to show again (every field of the form but the CSRF token)."""
    if form is None:
        return {"source": "push", "mode": "upsert", "namespace_kind": "none",
                "file_format": "csv", "notify": []}
    typed: dict[str, Any] = {k: str(v) for k, v in form.items()
                             if k != "csrf" and isinstance(v, str)}
    typed["notify"] = [str(v) for v in form.getlist("notify")]
    return typed


def _marked(errors: list[dict[str, str]]) -> set[str]:
    """Inputs and mapped fields an error is about: `config.source.key_column` marks
    `key_column`; a Salesforce field name marks its mapping row."""
    return {re.sub(r"\[\d+\]$", "", e["field"].split(".")[-1]) for e in errors if e["field"]} \
        | {e["field"].split(".")[0] for e in errors if e["field"]}


async def _page(request: Request, who: Viewer, form: FormData | None = None,
                errors: list[dict[str, str]] | None = None, status_code: int = 200) -> Response:
    rt = viewers.runtime(request)
    typed = _typed(form)
    with rt.db.begin() as s:
        conns = [c.name for c in connections.list_all(s, who.tenant_id)]
        granted = data_sources.tenant_listing(s, who.tenant_id)
        people = [(u.email, u.name) for u in users.list_all(s, who.tenant_id)]
    connection = typed.get("connection") or (conns[0] if conns else "")
    typed["connection"] = connection
    config = _config(form) if form is not None else {"mapping": {"mappings": []}}
    mode = typed.get("mode") or "upsert"
    return render(
        request, "integrations/new.html", who, status_code=status_code, v=typed,
        connections=conns, sources=granted, people=people, file_formats=FILE_FORMATS,
        modes=[m.value for m in SyncMode], rows=mapping_editor.rows(config, "entity_sync"),
        s=await mapping_editor.suggestions(request, who, connection, typed.get("object", ""),
                                           mode),
        preview=integration_settings.preview(typed.get("schedule", ""), creating=True),
        object=typed.get("object", ""), errors=errors or [], marked=_marked(errors or []),
    )


def _listed(exc: ForcebridgeError) -> list[dict[str, str]]:
    return [{"field": str(d.get("field") or ""), "reason": str(d.get("reason"))}
            for d in exc.details] or [{"field": "", "reason": exc.message}]


@router.get("/integrations/new")
async def new_page(request: Request) -> Response:
    return await _page(request, viewers.current(request))


@router.get("/integrations/new/suggestions")
async def suggested(request: Request, connection: str = "", object: str = "",
                    mode: str = "upsert") -> Response:
    """The objects and fields offered for what is picked so far, swapped in as it changes."""
    who = viewers.current(request)
    found = await mapping_editor.suggestions(request, who, connection, object.strip(), mode)
    return render(request, "integrations/suggestions.html", who, s=found, object=object.strip())


@router.post("/integrations/new")
async def create(request: Request) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    schedule = str(form.get("schedule") or "").strip()
    try:
        data = IntegrationInput(
            name=str(form.get("name") or ""), kind="entity_sync",
            connection=str(form.get("connection") or "") or None, config=_config(form),
            notify=[str(v) for v in form.getlist("notify")],
            **({"schedule": schedule} if schedule else {}),  # empty: the hourly default
        )
    except pydantic.ValidationError as exc:
        problem = InvalidInput.from_pydantic(exc)
        return await _page(request, who, form, _listed(problem), status_code=422)
    try:
        saved = await integration_saves.save(rt, who.tenant_id, data, actor=who.actor)
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound) and not exc.details:
            raise
        return await _page(request, who, form, _listed(exc), status_code=status_of(exc))
    return RedirectResponse(f"/integrations/{saved.id}?saved=created", status_code=303)

