"""Records, try it: pick a connection and an object (suggested from the org), then get a
record by any id-lookup field, or create or update one with fields suggested from describe."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.console.viewer import Viewer
from forcebridge.errors import ForcebridgeError, InvalidInput, NotFound
from forcebridge.http_status import status_of
from forcebridge.services import connections, objects, records

router = APIRouter()


def _assignments(text: str) -> dict[str, str]:
    """`Field=value` lines, as the CLI takes them; a line without `=` is named."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise InvalidInput.field("values", f"line {number} is not Field=value: {line!r}")
        found[name.strip()] = value.strip()
    return found


async def _page(
    request: Request, who: Viewer, choice: dict[str, str], *, result: Any = None,
    error: str | None = None, status_code: int = 200,
) -> Response:
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        conns = [c.name for c in connections.list_all(s, who.tenant_id)]
    conn = choice.get("connection") or (conns[0] if conns else "")
    suggestions: dict[str, Any] = {"objects": [], "lookup": [], "create": [], "update": []}
    try:
        if conn:
            suggestions["objects"] = await objects.list_objects(rt, who.tenant_id, conn)
        if conn and choice.get("object"):
            for purpose in ("lookup", "create", "update"):
                suggestions[purpose] = await objects.list_fields(
                    rt, who.tenant_id, conn, choice["object"], purpose
                )
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound) and "connection" in exc.message:
            raise
        error = error or exc.message
    return render(
        request, "records.html", who, status_code=status_code, connections=conns,
        connection=conn, choice=choice, s=suggestions, error=error,
        result=json.dumps(result, indent=2, default=str) if result is not None else None,
    )


@router.get("/records")
async def records_page(request: Request) -> Response:
    who = viewers.current(request)
    choice = {k: request.query_params.get(k, "") for k in ("connection", "object")}
    return await _page(request, who, choice)


@router.post("/records")
async def operate(request: Request) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    choice = {k: str(form.get(k) or "") for k in
              ("connection", "object", "operation", "field", "value", "fields", "record_id", "values")}
    conn, sobject = choice["connection"], choice["object"]
    try:
        if not sobject:
            raise InvalidInput.field("object", "choose an object")
        if choice["operation"] == "get":
            fields = [f.strip() for f in choice["fields"].split(",") if f.strip()] or None
            if choice["field"] in ("", "Id"):
                result: Any = await records.get(rt, who.tenant_id, conn, sobject, choice["value"], fields)
            else:
                result = await records.get_by(
                    rt, who.tenant_id, conn, sobject, choice["field"], choice["value"], fields
                )
        else:
            schema = await objects.describe(rt, who.tenant_id, conn, sobject)
            values = objects.typed_values(schema, _assignments(choice["values"]))
            if choice["operation"] == "create":
                result = (await records.create(rt, who.tenant_id, conn, sobject, values)).to_json()
            else:
                result = await records.update(  # the record as it now is
                    rt, who.tenant_id, conn, sobject, choice["record_id"], values
                )
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound) and "connection" in exc.message:
            raise
        return await _page(request, who, choice, error=exc.message, status_code=status_of(exc))
    return await _page(request, who, choice, result=result)
