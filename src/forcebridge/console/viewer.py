"""Who is looking at the console: the signed session cookie, resolved to a user of one tenant.

The cookie holds `<token>.<signature>`; the signature (HMAC-SHA256 under a key derived from the
secret key) turns away forged or truncated cookies before the store is asked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from forcebridge.console.security import CSRF_FIELD, CSRF_HEADER, same_origin
from forcebridge.errors import Forbidden, Unauthenticated
from forcebridge.runtime import Runtime
from forcebridge.services import sign_in, tenants
from forcebridge.store.types import utcnow

COOKIE = "fb_session"


class SignInRequired(Exception):
    """Raised by pages when nobody (or an expired session) is signed in; answered with a
    redirect to the sign-in page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    user_id: str
    name: str
    email: str
    tenant_id: str
    tenant_name: str
    admin: bool
    csrf_token: str

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def limits(rt: Runtime) -> sign_in.Limits:
    s = rt.settings
    return sign_in.Limits(
        idle=timedelta(minutes=s.console_session_idle_minutes),
        absolute=timedelta(hours=s.console_session_max_hours),
        window=timedelta(minutes=s.sign_in_window_minutes),
        per_account=s.sign_in_failures_per_account,
        per_address=s.sign_in_failures_per_address,
    )


def now(request: Request) -> datetime:
    """The current time; tests move it forward through app state to expire sessions."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock else utcnow()


def _key(rt: Runtime) -> bytes:
    return hashlib.sha256(b"forcebridge console session\0" + rt.primary_key().encode()).digest()


def _signature(rt: Runtime, token: str) -> str:
    mac = hmac.new(_key(rt), token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def safe_path(value: str | None) -> str:
    """A path of this site to send the browser to: never `//elsewhere` or a full URL."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def token_of(request: Request) -> str | None:
    raw = request.cookies.get(COOKIE, "")
    token, _, sig = raw.rpartition(".")
    if not token or not hmac.compare_digest(sig, _signature(runtime(request), token)):
        return None
    return token


def set_cookie(request: Request, response: Response, token: str) -> None:
    rt = runtime(request)
    response.set_cookie(
        COOKIE,
        f"{token}.{_signature(rt, token)}",
        max_age=rt.settings.console_session_max_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=rt.settings.resolved_public_url.startswith("https://"),
        path="/",
    )


def clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def current(request: Request) -> Viewer:
    """The signed-in viewer, or `SignInRequired`."""
    token = token_of(request)
    if token is None:
        raise SignInRequired("")
    rt = runtime(request)
    try:
        with rt.db.begin() as s:
            row, user = sign_in.resume(s, token, limits=limits(rt), now=now(request))
            tenant = tenants.get(s, user.tenant_id)
            return Viewer(
                user_id=user.id,
                name=user.name,
                email=user.email,
                tenant_id=user.tenant_id,
                tenant_name=tenant.name,
                admin=user.admin,
                csrf_token=row.csrf_token,
            )
    except Unauthenticated as exc:
        raise SignInRequired(exc.message) from exc


async def posted(request: Request) -> tuple[Viewer, FormData]:
    """A state-changing request: a signed-in viewer, same origin, the session's CSRF token."""
    who = current(request)
    form = await request.form()
    given = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "")
    if not same_origin(request.headers.get("origin"), str(request.base_url)):
        raise Forbidden("this form was sent from another site")
    if not given or not hmac.compare_digest(given, who.csrf_token):
        raise Forbidden("the form's security token is missing or stale; reload the page and try again")
    return who, form
