"""The emulator's ASGI app: one state object, and one door every Salesforce call goes through.

`call_api` is that door. It does what a real org does around every API call, in the same order:
authenticate the session, count the call against the daily allocation (and say so in
`Sforce-Limit-Info`), apply the configured faults, and answer errors in Salesforce's shapes:
an `ApiError` becomes its JSON array body, anything unexpected a 500 UNKNOWN_EXCEPTION, never a
stack trace. The app is plain Starlette so no framework-shaped error can leak to a client.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from forcebridge_emulator.errors import ApiError, SaveError
from forcebridge_emulator.faults import FaultConfig, Faults
from forcebridge_emulator.limits import InFlight, Usage
from forcebridge_emulator.parent_locks import lock_message

if TYPE_CHECKING:
    from forcebridge_emulator.apex import ApexLog
    from forcebridge_emulator.org import Org

log = logging.getLogger("forcebridge_emulator")

Handler = Callable[[Request], Awaitable[Response]]

OLDEST_VERSION = 30
NEWEST_VERSION = 62
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
NOT_FOUND_MESSAGE = "The requested resource does not exist"
DROP_KEY = "forcebridge_emulator.drop"
_VERSION_RE = re.compile(r"^v(\d+)\.0$")


class SalesforceJSON(JSONResponse):
    """JSON with the exact content type Salesforce sends (restforce-db cassettes)."""

    media_type = "application/json;charset=UTF-8"


class ConnectionDropped(Exception):
    """Raised out of the ASGI app after a write was applied: the client sees the line go dead."""


class Emulator:
    """Everything one emulated org holds while it serves: data, sessions, faults, counters."""

    def __init__(
        self, org: Org, *, faults: FaultConfig | None = None, base_url: str | None = None
    ) -> None:
        from forcebridge_emulator.apex import ApexLog
        from forcebridge_emulator.bulk import BulkJobs
        from forcebridge_emulator.bulk_pace import BulkPace
        from forcebridge_emulator.oauth import OAuthServer
        from forcebridge_emulator.parent_locks import ParentLocks
        from forcebridge_emulator.query import QueryCursors

        self.org = org
        self.base_url = base_url.rstrip("/") if base_url else None
        self.faults = Faults(faults)
        self.usage = Usage(org.config.daily_api_requests)
        self.in_flight = InFlight()
        self.apex_log: ApexLog = ApexLog()
        self.cursors = QueryCursors()
        self.oauth = OAuthServer(org, base_url=self.base_url)
        self.parent_locks = ParentLocks(self.faults)
        self.bulk = BulkJobs(org, BulkPace(self.faults, self.parent_locks))

    def instance_url(self, request: Request) -> str:
        """The org's base URL: configured, or the one the client reached us at."""
        if self.base_url:
            return self.base_url
        if self.org.config.instance_url:
            return self.org.config.instance_url.rstrip("/")
        return str(request.base_url).rstrip("/")


def emulator_of(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    return emulator


def acting_user(request: Request) -> str | None:
    """The user id of the session making this call (CreatedById, OwnerId default)."""
    session = getattr(request.state, "session", None)
    user = getattr(session, "user", None)
    return getattr(user, "user_id", None) or None


def api_version(request: Request) -> str:
    """The `vNN.0` of the path, validated (404 NOT_FOUND outside v30.0..v62.0, as Salesforce)."""
    raw = str(request.path_params.get("version", ""))
    match = _VERSION_RE.match(raw)
    if not match or not OLDEST_VERSION <= int(match.group(1)) <= NEWEST_VERSION:
        raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    return raw[1:]


def version_number(request: Request) -> float:
    return float(api_version(request))


class SaveFailure(ApiError):
    """A failed single-record write: every SaveError of the result, as the REST error array."""

    def __init__(self, status: int, errors: list[SaveError]) -> None:
        first = errors[0] if errors else SaveError("UNKNOWN_EXCEPTION", "")
        super().__init__(status, first.status_code, first.message, list(first.fields))
        self.errors = errors or [first]

    def body(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for e in self.errors:
            item: dict[str, Any] = {"message": e.message, "errorCode": e.status_code}
            # An unknown column fails while the JSON is read, before any save: no `fields`
            # (restforce write_error_response.json).
            if not (e.status_code == "INVALID_FIELD" and e.message.startswith("No such column")):
                item["fields"] = list(e.fields)
            out.append(item)
        return out


def error_response(exc: ApiError) -> SalesforceJSON:
    return SalesforceJSON(exc.body(), status_code=exc.status, headers=exc.headers)


def unknown_exception_response() -> SalesforceJSON:
    """Salesforce's answer when something breaks inside it; the details stay in our log."""
    return SalesforceJSON(
        [
            {
                "errorCode": "UNKNOWN_EXCEPTION",
                "message": "An unexpected error occurred. Please include this ErrorId if you "
                "contact support: 1234567890-12345 (-1234567890)",
            }
        ],
        status_code=500,
    )


async def read_json(request: Request) -> Any:
    """The request body as JSON, or 400 JSON_PARSER_ERROR worded the way Salesforce's parser is."""
    raw = await request.body()
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise ApiError(
            400, "JSON_PARSER_ERROR", "No content to map due to end-of-input at [line:1, column:0]"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", _parser_message(text, exc)) from None


_EXPECTED = {
    "Expecting property name enclosed in double quotes": "was expecting double-quote to start "
    "field name",
    "Expecting ':' delimiter": "was expecting a colon to separate field name and value",
    "Expecting value": "expected a valid value (number, String, array, object, 'true', 'false' "
    "or 'null')",
}


def _parser_message(text: str, exc: json.JSONDecodeError) -> str:
    """Python's JSON error in the words of Salesforce's (Jackson) parser, e.g. "Unexpected
    character ('n' (code 110)): was expecting double-quote to start field name at [line:1,
    column:3]" (quoted from a test against a real org). Jackson's column is one past ours."""
    where = f"at [line:{exc.lineno}, column:{exc.colno + 1}]"
    if exc.msg.startswith("Unterminated string"):
        lines = text.split("\n")
        end = f"at [line:{len(lines)}, column:{len(lines[-1]) + 1}]"
        return f"Unexpected end-of-input: was expecting closing quote for a string value {end}"
    if exc.pos >= len(text.rstrip()):
        inside = _open_container(text[: exc.pos])
        return f"Unexpected end-of-input: expected close marker for {inside} {where}"
    char = text[exc.pos]
    if exc.msg == "Expecting ',' delimiter":
        what = f"was expecting comma to separate {_open_container(text[: exc.pos]).title()} entries"
    else:
        what = _EXPECTED.get(exc.msg, _EXPECTED["Expecting value"])
    return f"Unexpected character ('{char}' (code {ord(char)})): {what} {where}"


def _open_container(prefix: str) -> str:
    """OBJECT or ARRAY: the innermost bracket still open in `prefix` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in prefix:
        if in_string:
            escaped = not escaped and ch == "\\"
            if ch == '"' and not escaped:
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]" and stack:
            stack.pop()
    return "ARRAY" if stack and stack[-1] == "[" else "OBJECT"


async def read_json_object(request: Request) -> dict[str, Any]:
    """A JSON object body (a record); an array or scalar is a parser error, as in Salesforce."""
    body = await read_json(request)
    if not isinstance(body, dict):
        token = "START_ARRAY" if isinstance(body, list) else "VALUE_STRING"
        raise ApiError(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of SObject out of {token} token at [line:1, column:1]",
        )
    return body


def lock_fault(request: Request) -> bool:
    """True when faults chose this write to meet a row lock (handlers answer per record)."""
    return bool(getattr(request.state, "lock_fault", False))


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


def api_version_of_path(request: Request) -> None:
    if "version" in request.path_params:
        api_version(request)


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


def not_found() -> SalesforceJSON:
    return error_response(ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE))


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
    from forcebridge_emulator import (
        admin,
        apex,
        composite,
        composite_requests,
        query,
        rest,
        soap_login,
    )
    from forcebridge_emulator.org import Org

    emulator = Emulator(org or Org.demo(), faults=faults, base_url=base_url)
    routes: list[BaseRoute] = [
        *emulator.oauth.routes(),
        *soap_login.routes(emulator),
        *admin.routes(),
        *emulator.bulk.routes(),
        *query.routes(),
        *composite.routes(),
        *composite_requests.routes(),
        *apex.routes(),
        *rest.routes(),
    ]
    app = EmulatorApp(
        routes=routes,
        exception_handlers={404: _http_exception, 405: _http_exception, Exception: _server_error},
    )
    app.state.emulator = emulator
    return app
