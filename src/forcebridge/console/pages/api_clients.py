"""API clients: the credentials Salesforce (a Named Credential) calls forcebridge with.
A secret is shown once, on the page that answers create or rotate, and never again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.console.viewer import Viewer
from forcebridge.errors import ForcebridgeError
from forcebridge.http_status import status_of
from forcebridge.services import api_clients
from forcebridge.services.api_clients import SCOPES, IssuedClient

router = APIRouter()


def _view(client: Any) -> dict[str, Any]:
    return {
        "id": client.id, "name": client.name, "client_id": client.client_id,
        "scopes": list(client.scopes), "created_at": client.created_at,
        "rotated_at": client.rotated_at, "last_used_at": client.last_used_at,
        "revoked_at": client.revoked_at,
    }


def _list(request: Request, who: Viewer, **extra: Any) -> Response:
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        clients = [_view(c) for c in api_clients.list_all(s, who.tenant_id)]
    return render(
        request, "api_clients/list.html", who, status_code=extra.pop("status_code", 200),
        clients=clients, scopes=SCOPES, errors=extra.pop("errors", {}), **extra,
    )


def _issued(request: Request, who: Viewer, issued: IssuedClient, what: str) -> Response:
    rt = viewers.runtime(request)
    return render(
        request, "api_clients/secret.html", who, client=_view(issued.client),
        secret=issued.secret, what=what,
        token_url=rt.settings.resolved_public_url + "/oauth/token",
    )


@router.get("/api-clients")
def list_page(request: Request) -> Response:
    return _list(request, viewers.current(request))


@router.post("/api-clients/new")
async def create(request: Request) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    try:
        with rt.db.begin() as s:
            issued = api_clients.create(
                s, who.tenant_id, str(form.get("name") or ""),
                [str(v) for v in form.getlist("scopes")], actor=who.actor,
            )
            page = _issued(request, who, issued, "created")
    except ForcebridgeError as exc:
        errors = {str(d.get("field")).split(".")[0]: str(d.get("reason")) for d in exc.details}
        return _list(request, who, errors=errors or {"name": exc.message}, status_code=status_of(exc),
                     name=str(form.get("name") or ""))
    return page


@router.post("/api-clients/{ref}/rotate")
async def rotate(request: Request, ref: str) -> Response:
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        issued = api_clients.rotate(s, who.tenant_id, ref, actor=who.actor)
        return _issued(request, who, issued, "rotated")


@router.post("/api-clients/{ref}/revoke")
async def revoke(request: Request, ref: str) -> Response:
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        api_clients.revoke(s, who.tenant_id, ref, actor=who.actor)
    return RedirectResponse("/api-clients", status_code=303)
