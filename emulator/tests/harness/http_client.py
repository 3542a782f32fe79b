"""In-process access to an emulated org for the HTTP-layer tests (no socket, no mocks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from forcebridge_emulator._app import create_app
from forcebridge_emulator._faults import FaultConfig
from forcebridge_emulator._state import Emulator

BASE_URL = "https://emulator.test"
V = "/services/data/v62.0"


@dataclass
class Client:
    """An httpx client on the app, already holding a valid session of the demo user."""

    http: httpx.AsyncClient
    app: Starlette
    token: str

    @property
    def emulator(self) -> Emulator:
        emulator: Emulator = self.app.state.emulator
        return emulator

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.headers | kw.pop("headers", {}), **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.post(path, headers=self.headers | kw.pop("headers", {}), **kw)

    async def patch(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.patch(path, headers=self.headers | kw.pop("headers", {}), **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.delete(path, headers=self.headers | kw.pop("headers", {}), **kw)

    def new_token(self) -> str:
        user = self.emulator.org.config.users[0]
        app = self.emulator.org.config.connected_apps[0]
        return self.emulator.oauth.issue_token_for(user.username, consumer_key=app.consumer_key)


@asynccontextmanager
async def emulator_client(
    faults: FaultConfig | None = None, *, raise_app_exceptions: bool = True, org: Any = None
) -> AsyncIterator[Client]:
    app = create_app(org, faults=faults, base_url=BASE_URL)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        client = Client(http, app, "")
        client.token = client.new_token()
        yield client
