"""The dashboard: where a signed-in user lands."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.services import connections, integrations

router = APIRouter()


@router.get("/")
def dashboard(request: Request) -> Response:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        conns = connections.list_all(s, who.tenant_id)
        ints = integrations.list_all(s, who.tenant_id)
        counts = {
            "connections": len(conns),
            "authorized": sum(1 for c in conns if c.status == "authorized"),
            "integrations": len(ints),
            "enabled": sum(1 for i in ints if i.enabled),
        }
    return render(request, "home.html", who, counts=counts)
