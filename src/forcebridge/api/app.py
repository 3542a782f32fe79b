"""The FastAPI application: routers under /api/v1, probes at the root, the console at `/`."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Scope

from forcebridge import __version__, console
from forcebridge.api import contract, errors
from forcebridge.api.middleware import (
    BodyLimitMiddleware,
    RequestIdMiddleware,
    TracingMiddleware,
)
from forcebridge.api.routes import (
    alert_channels,
    api_clients,
    api_keys,
    connections,
    data_sources,
    events,
    health,
    hooks,
    integrations,
    metrics,
    oauth_token,
    outbox,
    records,
    runs,
    tenants,
    users,
)
from forcebridge.runtime import Runtime
from forcebridge.telemetry import tracing

API_PREFIX = "/api/v1"


class _ConsoleMount(Mount):
    """The console at `/`, for paths no API route claims: an unknown `/api/...` path stays the
    API's JSON 404, and a known path with the wrong method stays its 405."""

    def __init__(self, app: ASGIApp, api_routes: list[BaseRoute]) -> None:
        super().__init__("/", app=app)
        self._api_routes = api_routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if path.startswith("/api/"):
            return Match.NONE, {}
        for route in self._api_routes:
            if route is not self and route.matches(scope)[0] != Match.NONE:
                return Match.NONE, {}
        return super().matches(scope)


def create_app(runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or Runtime()
    app = FastAPI(
        title="forcebridge",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.runtime = rt
    errors.install(app)
    v1 = APIRouter(prefix=API_PREFIX)
    for module in (
        tenants,
        users,
        api_keys,
        connections,
        records,
        api_clients,
        data_sources,
        integrations,
        runs,
        events,
        outbox,
        alert_channels,
    ):
        v1.include_router(module.router)
    v1.include_router(api_clients.whoami_router)
    v1.include_router(connections.callback_router)
    v1.include_router(hooks.api_router)
    app.include_router(v1, responses=contract.errors(*contract.API, *contract.SALESFORCE))
    app.include_router(oauth_token.router, responses=contract.errors(405, 413, 500))
    app.include_router(hooks.router, responses=contract.errors(
        400, 401, 404, 405, 409, 413, 415, 500, 503))
    app.include_router(health.router, responses=contract.errors(405, 500))
    app.include_router(metrics.router)
    # last: the console answers every path the API does not
    app.router.routes.append(_ConsoleMount(console.create_app(rt), app.router.routes))
    app.add_middleware(BodyLimitMiddleware, max_bytes=rt.settings.max_body_bytes)
    if tracing.configure(rt.settings):
        app.add_middleware(TracingMiddleware)  # inside RequestIdMiddleware: sees the id
    app.add_middleware(RequestIdMiddleware)
    return app
