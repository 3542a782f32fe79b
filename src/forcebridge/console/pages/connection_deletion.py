"""Deleting a connection from the console: a confirmation page, then the same service as
`DELETE /api/v1/connections/{ref}`. While integrations use the connection the service refuses
(409); the page then lists them, says what a forced delete does to them, and offers it."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.console.viewer import Viewer
from forcebridge.errors import ForcebridgeError, NotFound
from forcebridge.http_status import status_of
from forcebridge.services import connection_deletion, connections
from forcebridge.services.connection_deletion import ConnectionInUse

router = APIRouter()


def _view(request: Request, who: Viewer, ref: str) -> dict[str, Any]:
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        return connections.show(s, who.tenant_id, ref).model_dump()


@router.get("/connections/{ref}/delete")
def confirm_page(request: Request, ref: str) -> Response:
    who = viewers.current(request)
    return render(request, "connections/delete.html", who, c=_view(request, who, ref))


@router.post("/connections/{ref}/delete")
async def delete(request: Request, ref: str) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    conn = _view(request, who, ref)
    force = form.get("force") == "1"
    try:
        gone = await anyio.to_thread.run_sync(
            lambda: connection_deletion.delete(rt, who.tenant_id, conn["id"], actor=who.actor,
                                               force=force))
    except ForcebridgeError as exc:
        if isinstance(exc, NotFound):
            raise
        using = [d for d in exc.details if d.get("id")] if isinstance(exc, ConnectionInUse) else []
        return render(request, "connections/delete.html", who, status_code=status_of(exc), c=conn,
                      refusal=exc.message, using=using, can_force=isinstance(exc, ConnectionInUse))
    return render(request, "connections/deleted.html", who, name=conn["name"], gone=gone)
