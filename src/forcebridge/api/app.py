"""The FastAPI application: routers under /api/v1, probes at the root."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from forcebridge import __version__
from forcebridge.api import errors
from forcebridge.api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from forcebridge.api.routes import (
    api_clients,
    api_keys,
    connections,
    events,
    health,
    hooks,
    integrations,
    oauth_token,
    outbox,
    records,
    runs,
    tenants,
    users,
)
from forcebridge.runtime import Runtime

API_PREFIX = "/api/v1"


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
        integrations,
        runs,
        events,
        outbox,
    ):
        v1.include_router(module.router)
    v1.include_router(api_clients.whoami_router)
    v1.include_router(connections.callback_router)
    v1.include_router(hooks.api_router)
    app.include_router(v1)
    app.include_router(oauth_token.router)
    app.include_router(hooks.router)
    app.include_router(health.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=rt.settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    return app
