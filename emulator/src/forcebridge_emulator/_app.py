"""The emulated org as one ASGI app: the composition root that builds the state and joins the
route modules. The app is plain Starlette so no framework-shaped error can leak to a client.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send

from forcebridge_emulator import (
    _admin,
    _apex,
    _bulk,
    _composite,
    _composite_requests,
    _query,
    _rest,
    _soap_login,
)
from forcebridge_emulator._faults import FaultConfig
from forcebridge_emulator._http import (
    SalesforceJSON,
    not_found,
    unknown_exception_response,
)
from forcebridge_emulator._org import Org
from forcebridge_emulator._pipeline import DROP_KEY
from forcebridge_emulator._state import Emulator


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods, answered as Salesforce does (and, under /services/, with the
    usage header every API answer carries)."""
    response: Response = not_found()
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        response = SalesforceJSON(
            [
                {
                    "errorCode": "METHOD_NOT_ALLOWED",
                    "message": f"HTTP Method '{request.method}' not allowed. "
                    f"Allowed are {allowed.replace(', ', ',')}",
                }
            ],
            status_code=405,
        )
    emulator = getattr(request.app.state, "emulator", None)
    if emulator is not None and request.url.path.startswith("/services/"):
        response.headers["Sforce-Limit-Info"] = emulator.usage.header()
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    return unknown_exception_response()


class EmulatorApp(Starlette):
    """Starlette, except that a dropped connection really drops: once a handler marks the
    scope, nothing more is sent (not even Starlette's 500) and the exception leaves the app."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return

        async def guarded_send(message: Message) -> None:
            if not scope.get(DROP_KEY):
                await send(message)

        await super().__call__(scope, receive, guarded_send)


def create_app(
    org: Org | None = None, *, faults: FaultConfig | None = None, base_url: str | None = None
) -> Starlette:
    """The whole emulated org as an ASGI app (the demo org unless `org` is given)."""
    emulator = Emulator(org or Org.demo(), faults=faults, base_url=base_url)
    routes: list[BaseRoute] = [
        *emulator.oauth.routes(),
        *_soap_login.routes(emulator),
        *_admin.routes(),
        *_bulk.routes(emulator.bulk),
        *_query.routes(),
        *_composite.routes(),
        *_composite_requests.routes(),
        *_apex.routes(),
        *_rest.routes(),
    ]
    app = EmulatorApp(
        routes=routes,
        exception_handlers={404: _http_exception, 405: _http_exception, Exception: _server_error},
    )
    app.state.emulator = emulator
    return app
