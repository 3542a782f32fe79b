"""The one door every Salesforce API call goes through.

`call_api` does what a real org does around every API call, in the same order: authenticate
the session, count the call against the daily allocation (and say so in `Sforce-Limit-Info`),
apply the configured faults, and answer errors in Salesforce's shapes: an `ApiError` becomes
its JSON array body, anything unexpected a 500 UNKNOWN_EXCEPTION, never a stack trace.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._http import (
    acting_user,
    api_version_of_path,
    error_response,
    unknown_exception_response,
)
from forcebridge_emulator._parent_locks import lock_message
from forcebridge_emulator._state import Emulator

log = logging.getLogger("forcebridge_emulator")

Handler = Callable[[Request], Awaitable[Response]]

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
DROP_KEY = "forcebridge_emulator.drop"


class ConnectionDropped(Exception):
    """Raised out of the ASGI app after a write was applied: the client sees the line go dead."""


def emulator_of(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    return emulator


async def call_api(
    request: Request, handler: Handler, *, per_record_faults: bool = False
) -> Response:
    """Run `handler` as one Salesforce API call (see the module docstring).

    The session is left on `request.state.session`. With `per_record_faults`, a row-lock fault
    is left for the handler to report per record (`lock_fault(request)`); otherwise the whole
    write is refused with 400 UNABLE_TO_LOCK_ROW.
    """
    emulator = emulator_of(request)
    app_key: str | None = None
    try:
        api_version_of_path(request)
        session = emulator.oauth.authenticate(request)
        if inspect.isawaitable(session):
            session = await session
        request.state.session = session
        app = getattr(session, "app", None)
        app_key = getattr(app, "name", "") if app is not None else ""
        emulator.in_flight.enter(app_key)
        response = await _run(request, emulator, handler, per_record_faults)
    except ApiError as exc:
        response = error_response(exc)
    except ConnectionDropped:
        request.scope[DROP_KEY] = True
        raise
    except Exception:
        log.exception("emulator: unexpected error on %s %s", request.method, request.url.path)
        response = unknown_exception_response()
    finally:
        if app_key is not None:
            emulator.in_flight.leave(app_key)
    response.headers["Sforce-Limit-Info"] = emulator.usage.header()
    return response


async def _run(
    request: Request, emulator: Emulator, handler: Handler, per_record: bool
) -> Response:
    faults = emulator.faults
    delay = faults.latency_seconds()
    if delay:
        await asyncio.sleep(delay)
    if faults.config.exhaust:
        emulator.usage.exhaust()
    emulator.usage.count()
    if faults.session_expires_now():
        emulator.oauth.expire_all_sessions()
    if faults.draw("error503"):
        raise ApiError(
            503, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Please try again later."
        )
    write = request.method in WRITE_METHODS
    if write and faults.draw("lock"):
        if not per_record:
            # A create locks no record of its own; the running user stands in for the parent.
            record_id = str(request.path_params.get("record_id") or acting_user(request) or "")
            raise ApiError(400, "UNABLE_TO_LOCK_ROW", lock_message(record_id), [])
        request.state.lock_fault = True
    response = await handler(request)
    if write and response.status_code < 400 and faults.draw("drop"):
        raise ConnectionDropped(f"{request.method} {request.url.path} applied, connection dropped")
    return response


def sf_route(
    path: str, handler: Handler, methods: Sequence[str], *, per_record_faults: bool = False
) -> list[BaseRoute]:
    """A Salesforce API route through `call_api`, reachable with and without a trailing slash
    (clients such as simple-salesforce write `query/?q=` and `sobjects/Account/`)."""

    async def endpoint(request: Request) -> Response:
        return await call_api(request, handler, per_record_faults=per_record_faults)

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    endpoint.sf_handler = handler  # type: ignore[attr-defined]  # for composite subrequests
    endpoint.per_record_faults = per_record_faults  # type: ignore[attr-defined]
    routes: list[BaseRoute] = [Route(path, endpoint, methods=list(methods))]
    if not path.endswith(("/", ":path}")):
        routes.append(Route(path + "/", endpoint, methods=list(methods)))
    return routes
