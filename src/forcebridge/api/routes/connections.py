"""Connections of the calling key's tenant: CRUD, authorize, test, and the OAuth callback."""

from __future__ import annotations

import html

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from forcebridge.api.auth import Principal, principal, runtime
from forcebridge.api.routes.connection_bodies import ConnectionCreate
from forcebridge.console.viewer import COOKIE as CONSOLE_COOKIE
from forcebridge.errors import AuthorizationFailed
from forcebridge.runtime import Runtime
from forcebridge.services import authorization, connection_deletion, connections
from forcebridge.services.connections import ConnectionInput, ConnectionOutcome, ConnectionView

router = APIRouter(prefix="/connections", tags=["connections"])


@router.get("")
def list_connections(
    who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[ConnectionView]:
    with rt.db.begin() as s:
        return connections.listing(s, who.tenant_id)


@router.post("", status_code=201)
def create_connection(
    body: ConnectionCreate, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ConnectionView:
    """Save a connection as a draft; `POST /connections/{id}/authorize` then tests it.

    The body's schema is the flow's (`auth_flow`) and the login URL's (`environment`): it says
    which credentials are required. Refused 422 naming the field only for what a schema cannot
    say: a `private_key` or `certificate` that is not PEM, an unreadable `ca_bundle`, a
    `borrow_from` naming no connection of the tenant; 409 when the name is in use."""
    with rt.db.begin() as s:
        return connections.create(s, rt.vault, who.tenant_id, body.as_input(), actor=who.actor)


@router.get("/{ref}")
def get_connection(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ConnectionView:
    with rt.db.begin() as s:
        return connections.show(s, who.tenant_id, ref)


@router.patch("/{ref}")
def update_connection(
    ref: str,
    body: ConnectionInput,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> ConnectionView:
    with rt.db.begin() as s:
        return connections.update(s, rt.vault, who.tenant_id, ref, body, actor=who.actor)


@router.delete("/{ref}", status_code=204)
def delete_connection(
    ref: str,
    force: bool = Query(default=False, description="Delete it even though integrations use "
                        "it: they are disconnected, get an event, and their users an email."),
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> Response:
    """Delete a connection; `409 connection_in_use` (listing the integrations by name and id)
    while integrations use it, unless `force=true`."""
    connection_deletion.delete(rt, who.tenant_id, ref, actor=who.actor, force=force)
    return Response(status_code=204)


def _outcome(outcome: ConnectionOutcome) -> ConnectionOutcome:
    """The connection as it now is; a failure answers 502 with the error body (the connection
    keeps the reason: `GET` it to see `status` and `status_reason`)."""
    if not outcome.authorization_url and outcome.status != "authorized":
        reason = outcome.status_reason or outcome.status
        raise AuthorizationFailed(
            f"connection {outcome.name!r} is not authorized: {reason}",
            details=[{"field": "connection", "reason": reason, "status": outcome.status}],
        )
    return outcome


@router.post("/{ref}/authorize")
async def authorize_connection(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ConnectionOutcome:
    """Save & authorize: log in and record the org's identity; for the web-server flow, answer
    with `authorization_url` to open in a browser (Salesforce then calls back)."""
    return _outcome(await authorization.authorize(rt, who.tenant_id, ref, actor=who.actor))


@router.post("/{ref}/test")
async def test_connection(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ConnectionOutcome:
    """Authenticate with what is stored now and record the outcome in `status`."""
    return _outcome(await authorization.test(rt, who.tenant_id, ref, actor=who.actor))


callback_router = APIRouter(tags=["connections"])


_PAGE = {"content": {"text/html": {"schema": {"type": "string"}}}}


@callback_router.get(
    "/oauth/callback",
    responses={200: {**_PAGE, "description": "The connection is authorized (a page)."},
               400: {**_PAGE, "description": "It could not be authorized; the page says why."}},
)
async def oauth_callback(
    request: Request,
    state: str = Query(
        ..., min_length=1, description="Identifies the authorization that Salesforce ends."
    ),
    code: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
    rt: Runtime = Depends(runtime),
) -> Response:
    """Where Salesforce sends the browser back in the web-server flow; `state` identifies it."""
    conn = await authorization.complete_callback(rt, state, code, error, error_description)
    if request.cookies.get(CONSOLE_COOKIE):
        # started from the console: back to the connection's page there, which shows the outcome
        return RedirectResponse(f"/connections/{conn.id}?done=oauth", status_code=303)
    ok = conn.status == "authorized"
    name = html.escape(conn.name)
    text = (
        f"Connection {name} is authorized for org {html.escape(conn.org_id or '')}."
        if ok
        else f"Connection {name} could not be authorized: {html.escape(conn.status_reason or '')}"
    )
    page = f"<!doctype html><title>forcebridge</title><p id=status data-status={conn.status}>{text}</p><p>You can close this window.</p>"
    return HTMLResponse(page, status_code=200 if ok else 400)
