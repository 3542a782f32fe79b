"""The mapping editor of entity syncs and inbound forms: target object (and, for a sync, the
external id, namespace, mode and account filters) and field mappings, with objects and fields
suggested from the org's live describe (only those the mode can write, for a form only
createable ones; required ones listed). Saving goes through the integration service, which
checks the mapping against the org (a form must map every required field) and names every
problem."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.console.viewer import Viewer
from forcebridge.errors import ForcebridgeError, InvalidInput, NotFound
from forcebridge.http_status import status_of
from forcebridge.integrations import saves as integration_saves
from forcebridge.services import integrations, objects
from forcebridge.services.integrations import IntegrationInput
from forcebridge.sync.mapping import SyncMode

router = APIRouter()
EMPTY_ROWS = 3


def _ids(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", text) if part]


async def suggestions(request: Request, who: Viewer, connection: str | None, sobject: str,
                      mode: str) -> dict[str, Any]:
    """The org's objects and, for `sobject`, the fields `mode` can write (required ones
    marked) and its id-lookup fields, from the connection's live describe."""
    rt = viewers.runtime(request)
    found: dict[str, Any] = {"objects": [], "fields": [], "lookup": [], "required": [],
                             "error": None}
    if not connection:
        found["error"] = "attach a connection to get suggestions from its org"
        return found
    purpose = "update" if mode == "update" else "create"
    try:
        found["objects"] = await objects.list_objects(rt, who.tenant_id, connection)
        if sobject:
            fields = await objects.list_fields(rt, who.tenant_id, connection, sobject,
                                               purpose)  # type: ignore[arg-type]
            found["fields"] = fields
            found["required"] = [f["name"] for f in fields if f["required"]]
            found["lookup"] = await objects.list_fields(
                rt, who.tenant_id, connection, sobject, "lookup")
    except ForcebridgeError as exc:
        found["error"] = exc.message
    return found


EDITABLE = ("entity_sync", "inbound_form")


def _mappings(config: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    if kind == "inbound_form":
        found: list[dict[str, Any]] = config.setdefault("mappings", [])
    else:
        found = config.setdefault("mapping", {}).setdefault("mappings", [])
    return found


def rows(config: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The mapping table's rows: each field mapping (its transform and the rest kept as JSON
    the form sends back), then a few empty rows."""
    found = []
    for m in _mappings(copy.deepcopy(config), kind):
        rest = {k: v for k, v in m.items() if k not in ("field", "column") and v is not None}
        found.append({"field": m.get("field", ""), "column": m.get("column") or "",
                      "rest": json.dumps(rest) if rest else ""})
    return found + [{"field": "", "column": "", "rest": ""} for _ in range(EMPTY_ROWS)]


async def _page(request: Request, who: Viewer, ref: str, config: dict[str, Any] | None = None,
                errors: list[dict[str, str]] | None = None, status_code: int = 200) -> Response:
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        view = integrations.show(s, who.tenant_id, ref).model_dump()
    if view["kind"] not in EDITABLE:
        raise InvalidInput.field("integration", f"{view['name']!r} has no field mapping to edit")
    shown = config or view["config"]
    if view["kind"] == "inbound_form":
        target = {"object": shown.get("object"), "namespace": shown.get("namespace")}
        mode = "insert"  # a form only creates: createable fields
    else:
        target = shown.get("mapping", {}).get("target", {})
        mode = str(shown.get("mode") or "upsert")
    return render(
        request, "integrations/mapping.html", who, status_code=status_code, i=view, c=shown,
        target=target, rows=rows(shown, view["kind"]), modes=[m.value for m in SyncMode],
        mode=mode,
        s=await suggestions(request, who, view["connection"], str(target.get("object") or ""),
                            mode),
        errors=errors or [], error_fields={e["field"] for e in errors or []},
    )


@router.get("/integrations/{ref}/mapping")
async def editor(request: Request, ref: str) -> Response:
    return await _page(request, viewers.current(request), ref)


def edited_config(current: dict[str, Any], form: FormData, kind: str) -> dict[str, Any]:
    """The stored config with what the form edits replaced; the rest (source, transforms,
    batch sizes, a form's auth) kept as it is."""
    config = copy.deepcopy(current)
    mapped = _rows_of(form)
    if kind == "inbound_form":
        config["object"] = str(form.get("object") or "").strip()
        config["mappings"] = mapped
        return config
    mapping = config.setdefault("mapping", {})
    target = mapping.setdefault("target", {})
    target["object"] = str(form.get("object") or "").strip()
    target["external_id_field"] = str(form.get("external_id_field") or "").strip() or None
    target["namespace"] = {"kind": str(form.get("namespace_kind") or "none"),
                           "prefix": str(form.get("namespace_prefix") or "").strip() or None}
    config["mode"] = str(form.get("mode") or "upsert")
    config["filters"] = {
        "allowed_account_ids": _ids(str(form.get("allowed") or "")),
        "restricted_account_ids": _ids(str(form.get("restricted") or "")),
    }
    mapping["mappings"] = mapped
    return config


def _rows_of(form: FormData) -> list[dict[str, Any]]:
    rows = []
    for field, column, rest in zip(form.getlist("field"), form.getlist("column"),
                                   form.getlist("rest"), strict=False):
        field, column = str(field).strip(), str(column).strip()
        if not field and not column:
            continue
        row: dict[str, Any] = json.loads(str(rest)) if str(rest) else {}
        row["field"] = field
        if column:
            row["column"] = column
        rows.append(row)
    return rows


@router.post("/integrations/{ref}/mapping")
async def save(request: Request, ref: str) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        current = integrations.show(s, who.tenant_id, ref).model_dump()
    config = edited_config(current["config"], form, current["kind"])
    # a SQL source's URL comes back masked as shown; the service keeps the stored one
    try:
        saved = await integration_saves.save(
            rt, who.tenant_id, IntegrationInput(config=config), ref=current["id"], actor=who.actor
        )
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound) and not exc.details:
            raise
        errors = [{"field": str(d.get("field") or ""), "reason": str(d.get("reason"))}
                  for d in exc.details] or [{"field": "", "reason": exc.message}]
        return await _page(request, who, ref, config, errors, status_code=status_of(exc))
    return RedirectResponse(f"/integrations/{saved.id}?saved=mapping", status_code=303)
