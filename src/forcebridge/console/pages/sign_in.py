"""Sign in and sign out.

Before a session exists, the sign-in form is protected against login CSRF by a double-submit
token: a random cookie that the form must echo.
"""

from __future__ import annotations

import hmac
import secrets
from functools import partial

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.console.security import CSRF_FIELD, same_origin
from forcebridge.console.viewer import SignInRequired
from forcebridge.errors import Forbidden, Unauthenticated
from forcebridge.services import sign_in as service
from forcebridge.services.sign_in import TooManyAttempts

router = APIRouter()
PRE_CSRF_COOKIE = "fb_sign_in"


def _form(
    request: Request,
    *,
    error: str | None = None,
    email: str = "",
    next_path: str | None = None,
    status_code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "sign_in.html",
        None,
        status_code=status_code,
        csrf=token,
        error=error,
        email=email,
        next=viewers.safe_path(next_path or request.query_params.get("next")),
        reason=request.query_params.get("reason"),
    )
    response.set_cookie(PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/sign-in")
    return response


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    try:
        viewers.current(request)
        return RedirectResponse(viewers.safe_path(request.query_params.get("next")), status_code=303)
    except SignInRequired:
        return _form(request)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    given = str(form.get(CSRF_FIELD) or "")
    expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not same_origin(request.headers.get("origin"), str(request.base_url)):
        raise Forbidden("this form was sent from another site")
    if not given or not expected or not hmac.compare_digest(given, expected):
        raise Forbidden("the sign-in form's security token is missing or stale; reload the page")
    email = str(form.get("email") or "")
    next_path = str(form.get("next") or "")
    rt = viewers.runtime(request)
    address = request.client.host if request.client else "unknown"
    try:
        # argon2 is slow on purpose: keep it off the event loop
        signed = await anyio.to_thread.run_sync(
            partial(
                service.sign_in,
                rt.db,
                email,
                str(form.get("password") or ""),
                address=address,
                limits=viewers.limits(rt),
                now=viewers.now(request),
            )
        )
    except TooManyAttempts as exc:
        return _form(request, error=exc.message, email=email, next_path=next_path, status_code=429)
    except Unauthenticated as exc:
        return _form(request, error=exc.message, email=email, next_path=next_path, status_code=401)
    response = RedirectResponse(viewers.safe_path(next_path), status_code=303)
    viewers.set_cookie(request, response, signed.token)
    response.delete_cookie(PRE_CSRF_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await viewers.posted(request)
    token = viewers.token_of(request)
    rt = viewers.runtime(request)
    if token:
        with rt.db.begin() as s:
            service.sign_out(s, token)
    response = RedirectResponse("/sign-in?reason=" + "signed+out", status_code=303)
    viewers.clear_cookie(request, response)
    return response
