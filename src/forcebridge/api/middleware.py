"""ASGI middleware: a request id on every request and log line, and a body size limit."""

from __future__ import annotations

import re
import time
import uuid

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forcebridge import log
from forcebridge.telemetry import tracing

_logger = log.get("api")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REQUEST_ID_HEADER = "x-request-id"


class RequestIdMiddleware:
    """Takes a sane `X-Request-Id` from the caller or makes one; echoes it and logs with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        with log.bind(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.event(
                    _logger,
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )


class TracingMiddleware:
    """A span per HTTP request, named by the route template (never the path's values), with
    the request id; installed only when tracing is on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        request_id = scope.get("state", {}).get("request_id")
        with tracing.span(f"{method}", **{"http.request.method": method,
                                          "forcebridge.request_id": request_id}) as span:
            status = 500

            async def send_seen(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, send_seen)
            finally:
                route = _route_template(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)


def _route_template(scope: Scope) -> str:
    """The full template of the route that answered (`/api/v1/integrations/{ref}`): routers
    nest, so the matched route knows only its own tail; the prefix is the path before it."""
    route = scope.get("route")
    tail = getattr(route, "path", None)
    if not tail:
        return "unmatched"
    try:
        concrete = tail.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return str(tail)
    path = str(scope.get("path", ""))
    return path[: len(path) - len(concrete)] + tail if path.endswith(concrete) else str(tail)


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413 before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = orjson.dumps(
            {
                "error": {
                    "code": "body_too_large",
                    "message": f"request body exceeds the limit of {self.max_bytes} bytes",
                    "details": [{"field": "body", "reason": f"larger than {self.max_bytes} bytes"}],
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(StarletteHTTPException):
    """Raised while reading; FastAPI wraps body errors unless they are HTTP exceptions."""

    def __init__(self) -> None:
        super().__init__(413, "request body is too large")
