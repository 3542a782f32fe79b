"""Apex REST: `/services/apexrest/...` endpoints declared in the org file or via the admin API.

A real org would run Apex; the emulator answers each registered endpoint's configured status
and response, and records every request it receives (method, path, headers, body) so a test can
inspect exactly what a client delivered (`GET /__emulator__/apex/requests`). No recording of
Apex REST traffic exists (sf-recordings README); an unknown path answers 404 NOT_FOUND
"Could not find a match for URL", as Salesforce's Apex REST documentation shows.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from forcebridge_emulator._config import ApexEndpointConfig
from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._http import SalesforceJSON
from forcebridge_emulator._pipeline import call_api, emulator_of

PREFIX = "/services/apexrest"
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# Headers worth keeping for inspection; the bearer token is never stored.
_HIDDEN_HEADERS = frozenset({"authorization", "cookie"})


def _pattern(path: str) -> re.Pattern[str]:
    """An urlMapping like `/acme/events/*` as a regex (`*` matches the rest of the path)."""
    parts = [re.escape(p) for p in ("/" + path.strip("/")).split("*")]
    return re.compile("^" + "[^?]*".join(parts) + "/?$")


def find_endpoint(endpoints: list[ApexEndpointConfig], path: str) -> ApexEndpointConfig | None:
    for endpoint in reversed(endpoints):  # the latest registration of a path wins
        if _pattern(endpoint.path).match(path):
            return endpoint
    return None


async def apex_call(request: Request) -> Response:
    emulator = emulator_of(request)
    path = "/" + str(request.path_params.get("path", "")).strip("/")
    raw = await request.body()
    text = raw.decode("utf-8", errors="replace")
    try:
        parsed: Any = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        parsed = None
    endpoint = find_endpoint(emulator.org.config.apex_endpoints, path)
    session = getattr(request.state, "session", None)
    emulator.apex_log.add(
        {
            "method": request.method,
            "path": path,
            "query": request.url.query,
            "headers": {k: v for k, v in request.headers.items() if k not in _HIDDEN_HEADERS},
            "body": text,
            "json": parsed,
            "matched": endpoint is not None,
            "user": getattr(getattr(session, "user", None), "username", None),
            "received_at": datetime.now(UTC).isoformat(),
        }
    )
    if endpoint is None:
        raise ApiError(404, "NOT_FOUND", "Could not find a match for URL")
    allowed = [m.upper() for m in endpoint.methods]
    if request.method not in allowed:
        raise ApiError(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(allowed)}",
        )
    if endpoint.response is None:
        return Response(status_code=endpoint.status)
    return SalesforceJSON(endpoint.response, status_code=endpoint.status)


async def endpoint(request: Request) -> Response:
    return await call_api(request, apex_call)


def routes() -> list[BaseRoute]:
    return [
        Route(PREFIX, endpoint, methods=ALL_METHODS),
        Route(PREFIX + "/{path:path}", endpoint, methods=ALL_METHODS),
    ]
