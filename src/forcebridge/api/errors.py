"""Every error leaves the API as `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from forcebridge import log
from forcebridge.api.routes.models import PATTERN_REASONS
from forcebridge.errors import ForcebridgeError, InvalidInput, Unauthenticated
from forcebridge.http_status import status_of

_logger = log.get("api.errors")

_REASONS = {
    "extra_forbidden": "unknown field",
    "missing": "is required",  # as the services say it
}


def _reason(error: Any) -> str:
    if error.get("type") == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
        return "must not be empty"
    if error.get("type") == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        if pattern in PATTERN_REASONS:
            return PATTERN_REASONS[pattern]
    return str(_REASONS.get(error.get("type", ""), error.get("msg", "invalid")))


_HTTP_CODES = {
    401: "unauthenticated",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _field_path(loc: tuple[Any, ...], body: Any = None) -> str:
    """`a.b` for the field at `loc`; a tagged union's tag (pydantic puts the discriminator's
    value in the location, e.g. `password`) is left out: it is the value of a field the body
    holds, not a field of its own."""
    parts: list[str] = []
    node = body
    for i, part in enumerate(loc):
        if part in ("body", "query", "path", "header"):
            continue
        if (isinstance(node, dict) and isinstance(part, str) and i < len(loc) - 1
                and part in node.values() and not isinstance(node.get(part), dict | list)):
            continue  # more follows, so it is not a scalar field: the tag
        parts.append(str(part))
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return ".".join(parts) or str(loc[0] if loc else "body")


def _tagged(error: Any) -> tuple[Any, ...]:
    """An error's location; a union's unknown tag is the tag field's error (e.g. `kind`)."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        # a field's name, quoted ('kind'), or a callable's that reads it (auth_flow())
        tag = str(error.get("ctx", {}).get("discriminator", "")).strip("'").removesuffix("()")
        return (*loc, tag) if tag else loc
    return loc


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path, from the OpenAPI document (Starlette's
    own 405 names only the first route's)."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = [
            (_template(path), {m.upper() for m in ops} | ({"HEAD"} if "get" in ops else set()))
            for path, ops in request.app.openapi().get("paths", {}).items()
        ]
        request.app.state.allowed_methods = table
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    return sorted({m for pattern, methods in table if pattern.fullmatch(path) for m in methods})


def _template(path: str) -> re.Pattern[str]:
    """`/a/{b}/{c:path}` as a regex of the concrete paths it stands for."""
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join(
        (".+" if p.endswith(":path}") else "[^/]+") if p.startswith("{") else re.escape(p)
        for p in parts
    ))


def install(app: FastAPI) -> None:
    @app.exception_handler(ForcebridgeError)
    async def _service_error(request: Request, exc: ForcebridgeError) -> JSONResponse:
        # the challenge names the API's scheme; a form hook's refusal is not a Bearer matter
        bearer = isinstance(exc, Unauthenticated) and request.url.path.startswith("/api/")
        headers = {"WWW-Authenticate": "Bearer"} if bearer else None
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_of(exc), headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            reason = next(
                e.get("ctx", {}).get("error", "invalid JSON")
                for e in errors
                if e.get("type") == "json_invalid"
            )
            return JSONResponse(
                error_body(
                    "malformed_json",
                    f"request body is not valid JSON: {reason}",
                    [{"field": "body", "reason": str(reason)}],
                ),
                400,
            )
        details = [
            {
                "field": _field_path(_tagged(e), exc.body
                                     if tuple(e.get("loc", ()))[:1] == ("body",) else None),
                "reason": _reason(e),
            }
            for e in errors
        ]
        bad = InvalidInput.from_details(details)
        return JSONResponse(error_body(bad.code, bad.message, bad.details), status_of(bad))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        details = [{"field": "body", "reason": str(exc.detail)}] if exc.status_code == 413 else []
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            details = [{"field": "method", "reason": f"allowed: {', '.join(allowed)}"}]
        return JSONResponse(
            error_body(code, str(exc.detail), details), exc.status_code, headers=headers or None
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        _logger.exception("unhandled error")
        return JSONResponse(
            error_body("internal_error", "internal error; see the server log for this request id"),
            500,
        )
