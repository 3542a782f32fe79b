"""`/__emulator__/`: the operator's side door, outside the Salesforce protocol and its auth.

Tests and users read here what they need to connect (URL, username, password, security token,
consumer key and secret), change faults at run time, add users, connected apps (with a JWT
certificate) and Apex REST endpoints, and inspect what clients did: calls and peak concurrency
per connected app, Apex REST requests received, platform events published. The emulator is a
local test double, so showing its own demo credentials here is the point, not a leak.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from forcebridge_emulator._config import ApexEndpointConfig, ConnectedAppConfig, UserConfig
from forcebridge_emulator._faults import FaultConfig, FaultSpecError
from forcebridge_emulator._http import NEWEST_VERSION
from forcebridge_emulator._pipeline import emulator_of
from forcebridge_emulator._state import Emulator

PREFIX = "/__emulator__"


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _error(exc: AdminError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AdminError(f"body is not JSON: {exc.msg}") from None


def _build(cls: type[Any], body: Any, what: str) -> Any:
    """A config dataclass from a JSON object, naming unknown or missing keys."""
    if not isinstance(body, dict):
        raise AdminError(f"{what}: expected a JSON object")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise AdminError(f"{what}: unknown keys {unknown}; known: {sorted(known)}")
    try:
        return cls(**body)
    except TypeError as exc:
        raise AdminError(f"{what}: {exc}") from None


def org_info(emulator: Emulator, base: str) -> dict[str, Any]:
    """Everything a client needs to connect, ready to paste (`base`: the org's base URL)."""
    config = emulator.org.config
    user = config.users[0] if config.users else None
    app = config.connected_apps[0] if config.connected_apps else None
    return {
        "org_id": config.org_id,
        "name": config.name,
        "base_url": base,
        "instance_url": base,
        "login_url": base,
        "token_url": f"{base}/services/oauth2/token",
        "api_version": f"{NEWEST_VERSION}.0",
        "ca_certificate": emulator.ca_certificate,
        "username": user.username if user else None,
        "password": user.password if user else None,
        "security_token": user.security_token if user else None,
        "consumer_key": app.consumer_key if app else None,
        "consumer_secret": app.consumer_secret if app else None,
        "users": [asdict(u) for u in config.users],
        "connected_apps": [
            {k: v for k, v in asdict(a).items() if k != "certificate_pem"}
            | {"has_certificate": bool(a.certificate_pem)}
            for a in config.connected_apps
        ],
        "apex_endpoints": [asdict(e) for e in config.apex_endpoints],
    }


async def get_org(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(org_info(emulator, emulator.instance_url(request)))


async def get_faults(request: Request) -> Response:
    faults = emulator_of(request).faults
    return JSONResponse(
        {**faults.config.to_json(), "spec": faults.config.spec(), "injected": dict(faults.injected)}
    )


async def put_faults(request: Request) -> Response:
    """Replace the faults: the spec itself as the body (`latency=50,error503=0.1`, as `--faults`
    takes it), `{"spec": "..."}`, or a JSON object of spec keys."""
    faults = emulator_of(request).faults
    raw = (await request.body()).decode("utf-8", errors="replace").strip()
    body = {"spec": raw} if raw and raw[0] not in '{["' else await _json(request)
    if isinstance(body, str):
        body = {"spec": body}
    try:
        if isinstance(body, dict) and set(body) == {"spec"}:
            config = FaultConfig.parse(str(body["spec"]))
            faults.configure(config)
        elif isinstance(body, dict):
            faults.configure(FaultConfig())
            faults.update(body)
        else:
            raise AdminError("faults: expected a JSON object")
    except FaultSpecError as exc:
        raise AdminError(str(exc)) from None
    return await get_faults(request)


async def patch_faults(request: Request) -> Response:
    """Change some faults, keep the others."""
    body = await _json(request)
    if not isinstance(body, dict):
        raise AdminError("faults: expected a JSON object")
    try:
        emulator_of(request).faults.update(body)
    except FaultSpecError as exc:
        raise AdminError(str(exc)) from None
    return await get_faults(request)


async def get_stats(request: Request) -> Response:
    emulator = emulator_of(request)
    return JSONResponse(
        {
            "api_usage": {"used": emulator.usage.used, "allocation": emulator.usage.allocation},
            "connected_apps": emulator.in_flight.to_json(),
            "faults_injected": dict(emulator.faults.injected),
            "apex_requests": len(emulator.apex_log.requests),
        }
    )


async def add_user(request: Request) -> Response:
    user = _build(UserConfig, await _json(request), "user")
    emulator_of(request).oauth.add_user(user)
    return JSONResponse(asdict(user), status_code=201)


async def add_connected_app(request: Request) -> Response:
    app = _build(ConnectedAppConfig, await _json(request), "connected app")
    emulator_of(request).oauth.add_connected_app(app)
    out = asdict(app)
    out.pop("certificate_pem", None)
    return JSONResponse(out | {"has_certificate": bool(app.certificate_pem)}, status_code=201)


async def upload_certificate(request: Request) -> Response:
    """PUT the PEM certificate (raw body, or JSON `{"certificate_pem": ...}`) of an app."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    pem = raw
    if raw.lstrip().startswith("{"):
        body = await _json(request)
        pem = str(body.get("certificate_pem", "")) if isinstance(body, dict) else ""
    if "BEGIN CERTIFICATE" not in pem:
        raise AdminError("certificate: expected an X.509 certificate in PEM form")
    try:
        emulator_of(request).oauth.set_certificate(str(request.path_params["consumer_key"]), pem)
    except KeyError:
        raise AdminError("no connected app with that consumer key", 404) from None
    return JSONResponse(
        {"consumer_key": request.path_params["consumer_key"], "has_certificate": True}
    )


async def add_apex_endpoint(request: Request) -> Response:
    endpoint = _build(ApexEndpointConfig, await _json(request), "apex endpoint")
    if not isinstance(endpoint.path, str) or not endpoint.path.strip("/"):
        raise AdminError("apex endpoint: path is required, like /acme/events")
    endpoint.path = "/" + endpoint.path.strip("/")
    endpoint.methods = [str(m).upper() for m in endpoint.methods]
    emulator_of(request).org.config.apex_endpoints.append(endpoint)
    return JSONResponse(asdict(endpoint), status_code=201)


async def list_apex_endpoints(request: Request) -> Response:
    return JSONResponse([asdict(e) for e in emulator_of(request).org.config.apex_endpoints])


async def apex_requests(request: Request) -> Response:
    return JSONResponse(emulator_of(request).apex_log.to_json(request.query_params.get("path")))


async def clear_apex_requests(request: Request) -> Response:
    emulator_of(request).apex_log.clear()
    return Response(status_code=204)


async def platform_events(request: Request) -> Response:
    """Platform events published through sobjects/composite, by object (`?sobject=X__e`)."""
    events = emulator_of(request).org.events
    wanted = request.query_params.get("sobject")
    return JSONResponse(
        {
            name: [dict(e) for e in published]
            for name, published in events.items()
            if not wanted or name.lower() == wanted.lower()
        }
    )


async def reset(request: Request) -> Response:
    """The org as it started (records, faults); usage, logs, cursors and Bulk jobs gone."""
    emulator_of(request).reset()
    return Response(status_code=204)


def _guard(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            response: Response = await handler(request)
        except AdminError as exc:
            return _error(exc)
        return response

    endpoint.__name__ = handler.__name__
    return endpoint


def routes() -> list[BaseRoute]:
    table: list[tuple[str, Any, list[str]]] = [
        ("/org", get_org, ["GET"]),
        ("/faults", get_faults, ["GET"]),
        ("/faults", put_faults, ["PUT"]),
        ("/faults", patch_faults, ["PATCH"]),
        ("/stats", get_stats, ["GET"]),
        ("/users", add_user, ["POST"]),
        ("/connected-apps", add_connected_app, ["POST"]),
        ("/connected-apps/{consumer_key}/certificate", upload_certificate, ["PUT", "POST"]),
        ("/apex/endpoints", add_apex_endpoint, ["POST"]),
        ("/apex/endpoints", list_apex_endpoints, ["GET"]),
        ("/apex/requests", apex_requests, ["GET"]),
        ("/apex/requests", clear_apex_requests, ["DELETE"]),
        ("/platform-events", platform_events, ["GET"]),
        ("/reset", reset, ["POST"]),
    ]
    return [
        Route(PREFIX + path, _guard(handler), methods=methods) for path, handler, methods in table
    ]
