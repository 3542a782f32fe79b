"""Connections: list, a form per OAuth flow, Save & authorize, Test connection (deleting one:
`connection_deletion`)."""

from __future__ import annotations

from typing import Any

import pydantic
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.console.viewer import Viewer
from forcebridge.errors import ForcebridgeError, InvalidInput, NotFound
from forcebridge.salesforce import jwt_keypair
from forcebridge.services import authorization, connections
from forcebridge.services.connections import SECRET_FIELDS, ConnectionInput

router = APIRouter()

ENVIRONMENTS = {
    "production": "Production (login.salesforce.com)",
    "sandbox": "Sandbox (test.salesforce.com)",
    "custom": "Custom login URL / My Domain",
}
FLOWS = {
    "web_server": "Web server (browser sign-in, refresh token)",
    "jwt_bearer": "JWT bearer (certificate)",
    "password": "Username, password and security token",
    "client_credentials": "Client credentials",
}
STATUSES = {
    "draft": "not authorized yet",
    "authorized": "authorized",
    "failed": "failed",
    "needs_reauthorization": "needs re-authorization",
}
# Which form fields each flow shows; others are not sent even if the browser kept them.
FIELDS_BY_FLOW = {
    "web_server": {"consumer_secret"},
    "jwt_bearer": {"username", "private_key", "certificate"},
    "password": {"consumer_secret", "username", "password", "security_token"},
    "client_credentials": {"consumer_secret"},
}
_COMMON = (
    "name", "environment", "auth_flow", "consumer_key", "concurrency", "api_budget_percent",
    "borrow_from", "ca_bundle",
)


def _context(**extra: Any) -> dict[str, Any]:
    return {"environments": ENVIRONMENTS, "flows": FLOWS, "statuses": STATUSES, **extra}


def _lenders(rt: Any, who: Viewer, exclude: str | None) -> list[tuple[str, str]]:
    with rt.db.begin() as s:
        return [
            (c.name, c.name) for c in connections.list_all(s, who.tenant_id) if c.id != exclude
        ]


async def _text(value: Any) -> str:
    if isinstance(value, UploadFile):
        return (await value.read()).decode("utf-8", errors="replace").strip()
    return str(value or "").strip()


async def _input(form: FormData, *, creating: bool) -> tuple[ConnectionInput, bool]:
    """The form as a `ConnectionInput`: fields of the chosen flow only; an empty secret or
    file means "keep what is stored". Second value: whether a key pair was generated."""
    flow = str(form.get("auth_flow") or "")
    wanted = set(_COMMON) | FIELDS_BY_FLOW.get(flow, set())
    environment = str(form.get("environment") or "")
    if environment == "custom":
        wanted.add("login_url")
    values: dict[str, Any] = {}
    for name in wanted:
        text = await _text(form.get(name))
        if name in SECRET_FIELDS or name == "certificate":
            if text:
                values[name] = text
        elif name in ("borrow_from", "username", "login_url", "ca_bundle"):
            if text or not creating:
                values[name] = text
        elif text:
            values[name] = text
    generated = flow == "jwt_bearer" and form.get("generate_keypair") == "1"
    if generated:
        pair = jwt_keypair(f"forcebridge {values.get('name') or 'connection'}")
        values["private_key"], values["certificate"] = pair.private_key_pem, pair.certificate_pem
    try:
        return ConnectionInput(**values), generated
    except pydantic.ValidationError as exc:
        raise InvalidInput.from_pydantic(exc) from exc


def _errors(exc: ForcebridgeError) -> dict[str, str]:
    found = {str(d.get("field")): str(d.get("reason")) for d in exc.details if d.get("field")}
    return found or {"name": exc.message}


def _form_page(
    request: Request, who: Viewer, conn: dict[str, Any], errors: dict[str, str], status: int = 200,
    *, generate: bool = False,
) -> Response:
    rt = viewers.runtime(request)
    return render(
        request,
        "connections/form.html",
        who,
        status_code=status,
        **_context(
            c=conn,
            errors=errors,
            lenders=_lenders(rt, who, conn.get("id")),
            generate=generate,
            callback_url=authorization.callback_url(rt),
        ),
    )


async def _after_save(request: Request, who: Viewer, conn_id: str, action: str) -> Response:
    if action != "authorize":
        return RedirectResponse(f"/connections/{conn_id}", status_code=303)
    return await _authorize(request, who, conn_id)


async def _authorize(request: Request, who: Viewer, conn_id: str) -> Response:
    rt = viewers.runtime(request)
    outcome = await authorization.authorize(rt, who.tenant_id, conn_id, actor=who.actor)
    if outcome.authorization_url:
        # the browser goes to Salesforce's login page; the OAuth callback brings it back here
        return RedirectResponse(outcome.authorization_url, status_code=303)
    return RedirectResponse(f"/connections/{conn_id}?done=authorize", status_code=303)


@router.get("/connections")
def list_page(request: Request) -> Response:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        views = connections.listing(s, who.tenant_id)
    return render(request, "connections/list.html", who, **_context(connections=views))


@router.get("/connections/new")
def new_page(request: Request) -> Response:
    who = viewers.current(request)
    return _form_page(request, who, {"concurrency": 5, "api_budget_percent": 80}, {})


@router.post("/connections/new")
async def create(request: Request) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    shown = {k: str(v) for k, v in form.items() if isinstance(v, str) and k not in SECRET_FIELDS}
    try:
        data, _ = await _input(form, creating=True)
        with rt.db.begin() as s:
            conn_id = connections.create(s, rt.vault, who.tenant_id, data, actor=who.actor).id
    except ForcebridgeError as exc:
        return _form_page(request, who, shown, _errors(exc), status=422,
                          generate=form.get("generate_keypair") == "1")
    return await _after_save(request, who, conn_id, str(form.get("action") or "save"))


def _view(request: Request, who: Viewer, ref: str) -> dict[str, Any]:
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        return connections.show(s, who.tenant_id, ref).model_dump()


_DONE = {
    "authorize": "Authorization finished.",
    "test": "Connection tested.",
    "oauth": "Back from Salesforce.",
}


@router.get("/connections/{ref}")
def detail_page(request: Request, ref: str) -> Response:
    who = viewers.current(request)
    conn = _view(request, who, ref)
    done = _DONE.get(request.query_params.get("done", ""))
    message = f"{done} Status: {STATUSES.get(conn['status'], conn['status'])}." if done else None
    return render(
        request, "connections/detail.html", who,
        **_context(c=conn, message=message, secret_fields=SECRET_FIELDS),
    )


@router.get("/connections/{ref}/edit")
def edit_page(request: Request, ref: str) -> Response:
    who = viewers.current(request)
    return _form_page(request, who, _view(request, who, ref), {})


@router.post("/connections/{ref}/edit")
async def update(request: Request, ref: str) -> Response:
    who, form = await viewers.posted(request)
    rt = viewers.runtime(request)
    current = _view(request, who, ref)
    try:
        data, _ = await _input(form, creating=False)
        with rt.db.begin() as s:
            connections.update(s, rt.vault, who.tenant_id, current["id"], data, actor=who.actor)
    except ForcebridgeError as exc:
        shown = current | {
            k: str(v) for k, v in form.items() if isinstance(v, str) and k not in SECRET_FIELDS
        }
        return _form_page(request, who, shown, _errors(exc), status=422)
    return await _after_save(request, who, current["id"], str(form.get("action") or "save"))


@router.post("/connections/{ref}/authorize")
async def authorize(request: Request, ref: str) -> Response:
    who, _ = await viewers.posted(request)
    return await _authorize(request, who, _view(request, who, ref)["id"])


@router.post("/connections/{ref}/test")
async def test(request: Request, ref: str) -> Response:
    who, _ = await viewers.posted(request)
    rt = viewers.runtime(request)
    conn_id = _view(request, who, ref)["id"]
    try:
        await authorization.test(rt, who.tenant_id, conn_id, actor=who.actor)
    except InvalidInput as exc:
        conn = _view(request, who, conn_id)
        return render(
            request, "connections/detail.html", who, status_code=422,
            **_context(c=conn, message=exc.message, secret_fields=SECRET_FIELDS),
        )
    return RedirectResponse(f"/connections/{conn_id}?done=test", status_code=303)


@router.get("/connections/{ref}/certificate.crt")
def certificate(request: Request, ref: str) -> Response:
    """The certificate to upload into the connected app (public; the key never leaves)."""
    who = viewers.current(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        conn = connections.get(s, who.tenant_id, ref)
        if not conn.certificate:
            raise NotFound(f"connection {conn.name} has no certificate")
        pem, name = conn.certificate, conn.name
    safe = "".join(ch if ch.isalnum() else "-" for ch in name) or "connection"
    return Response(
        pem,
        media_type="application/x-pem-file",
        headers={"content-disposition": f'attachment; filename="{safe}.crt"'},
    )
