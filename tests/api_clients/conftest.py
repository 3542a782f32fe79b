"""An API with the API-client routes (wired here if the app does not yet) and a movable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from forcebridge.api import auth, create_app
from forcebridge.runtime import Runtime
from forcebridge.store.types import utcnow
from tests.conftest import bearer

# A route guarded by a scope, as the integration routes will be.
scoped = APIRouter(prefix="/api/v1/test-scoped")


@scoped.post("/events")
def _events(who: auth.Principal = Depends(auth.require_scope("events:write"))) -> dict[str, str]:
    return {"tenant_id": who.tenant_id, "kind": who.kind}


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def wire(app: FastAPI) -> None:
    """Add the test-only scoped route (a route guarded by `require_scope`)."""
    app.include_router(scoped)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(runtime: Runtime, clock: Clock) -> Iterator[TestClient]:
    app = create_app(runtime)
    wire(app)
    app.dependency_overrides[auth.clock] = lambda: clock.now
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def make_client(api: TestClient) -> Callable[..., dict[str, Any]]:
    """Creates an API client with an API key; returns the 201 body (secret included)."""

    def make(key: str, scopes: list[str], name: str = "Acme org") -> dict[str, Any]:
        resp = api.post(
            "/api/v1/api-clients", json={"name": name, "scopes": scopes}, headers=bearer(key)
        )
        assert resp.status_code == 201, resp.text
        body: dict[str, Any] = resp.json()
        return body

    return make


def token_for(
    api: TestClient, client: dict[str, Any], secret: str | None = None, **form: str
) -> Any:
    data = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": secret or client["client_secret"],
        **form,
    }
    return api.post("/oauth/token", data=data)
