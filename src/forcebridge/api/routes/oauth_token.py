"""`POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for API clients.

Mounted at the app root, where a Salesforce Named Credential's token URL points. Requests are
form-encoded; the client authenticates with HTTP Basic or `client_id`/`client_secret` in the
body (not both, §2.3.1). Answers and errors use OAuth's own JSON shape, not forcebridge's
`{"error": {...}}`, because the caller is an OAuth client.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from forcebridge.api.auth import clock, runtime, signing_keys
from forcebridge.runtime import Runtime
from forcebridge.services import api_clients
from forcebridge.services.access_tokens import IssuedToken
from forcebridge.services.api_clients import TokenRequestError

router = APIRouter(tags=["oauth"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = "application/x-www-form-urlencoded"


def _error(exc: TokenRequestError, *, basic: bool) -> JSONResponse:
    """RFC 6749 §5.2: 401 for a client that failed to authenticate, 400 for the rest."""
    headers = dict(_NO_STORE)
    status = 401 if exc.oauth_error == "invalid_client" else 400
    if status == 401 and basic:
        headers["WWW-Authenticate"] = 'Basic realm="forcebridge"'
    body = {"error": exc.oauth_error, "error_description": exc.message}
    return JSONResponse(body, status, headers=headers)


def _form(content_type: str, raw: bytes) -> dict[str, str]:
    if content_type.split(";")[0].strip().lower() != _FORM:
        raise TokenRequestError("invalid_request", f"the body must be {_FORM}")
    try:
        pairs = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise TokenRequestError("invalid_request", "the body is not UTF-8") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:  # §3.2: parameters must not be repeated
            raise TokenRequestError("invalid_request", f"parameter {name!r} is repeated")
        form[name] = value
    return form


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise TokenRequestError("invalid_client", "malformed Basic credentials") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise TokenRequestError("invalid_client", "malformed Basic credentials")
    # §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def _credentials(form: dict[str, str], basic: tuple[str, str] | None) -> tuple[str, str]:
    in_body = "client_id" in form or "client_secret" in form
    if basic is not None and in_body:
        raise TokenRequestError(
            "invalid_request", "use one client authentication method: Basic or the body"
        )
    if basic is not None:
        return basic
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if not client_id or not secret:
        raise TokenRequestError("invalid_client", "client authentication is missing")
    return client_id, secret


def _answer(issued: IssuedToken) -> dict[str, Any]:
    return {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": " ".join(sorted(issued.claims.scopes)),
    }


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class OAuthError(BaseModel):
    """RFC 6749 §5.2: the error shape OAuth clients expect from a token endpoint."""

    error: str
    error_description: str


_ONE_SCOPE = "|".join(api_clients.SCOPES)
_FORM_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        _FORM: {
            "schema": {
                "type": "object",
                "required": ["grant_type", "client_id", "client_secret"],
                "additionalProperties": False,
                "properties": {
                    "grant_type": {"type": "string", "enum": ["client_credentials"]},
                    "client_id": {"type": "string", "minLength": 1},
                    "client_secret": {"type": "string", "minLength": 1},
                    "scope": {
                        "type": "string", "description": "Space-separated scopes.",
                        "pattern": f"^({_ONE_SCOPE})( ({_ONE_SCOPE}))*$",
                    },
                },
            }
        }
    },
}
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthError, "description": "invalid_request, invalid_scope, "
          "unsupported_grant_type (RFC 6749 §5.2)"},
    401: {"model": OAuthError, "description": "invalid_client: unknown, revoked or wrong secret"},
}


@router.post(
    "/oauth/token", response_model=TokenAnswer, responses=_OAUTH_ERRORS,
    openapi_extra={"requestBody": _FORM_BODY},
)
async def token(
    request: Request, rt: Runtime = Depends(runtime), now: datetime = Depends(clock)
) -> JSONResponse:
    """Exchange an API client's id and secret for a short-lived Bearer access token."""
    header = request.headers.get("authorization", "")
    basic_used = header.lower().startswith("basic ")
    try:
        form = _form(request.headers.get("content-type", ""), await request.body())
        grant_type = form.get("grant_type")
        if not grant_type:
            raise TokenRequestError("invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            raise TokenRequestError(
                "unsupported_grant_type", "only grant_type=client_credentials is supported"
            )
        client_id, secret = _credentials(form, _basic(header))
        issued = await run_in_threadpool(_grant, rt, client_id, secret, form.get("scope"), now)
    except TokenRequestError as exc:
        return _error(exc, basic=basic_used)
    return JSONResponse(_answer(issued), 200, headers=_NO_STORE)


def _grant(
    rt: Runtime, client_id: str, secret: str, scope: str | None, now: datetime
) -> IssuedToken:
    with rt.db.begin() as session:
        return api_clients.grant(
            session,
            signing_keys(rt),
            client_id=client_id,
            client_secret=secret,
            scope=scope,
            now=now,
            ttl_seconds=rt.settings.api_client_token_ttl_seconds,
        )
