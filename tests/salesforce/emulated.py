"""The emulator as the org behind the client tests: in-process, or on a real socket.

In-process, a dropped connection leaves the ASGI app as `ConnectionDropped`; over a socket the
client sees the connection close without an answer, which httpx reports as
`RemoteProtocolError`. `SocketlessDrop` makes the in-process transport end the same way, so the
client code under test meets exactly what it meets on the network (the socket tests check that).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from forcebridge.salesforce import ConcurrencyPool, Credentials, RetryPolicy, SalesforceClient
from forcebridge_emulator.app import ConnectionDropped, Emulator, create_app
from forcebridge_emulator.faults import FaultConfig
from forcebridge_emulator.org import Org
from forcebridge_emulator.server import drop_connections

BASE_URL = "https://emulator.test"
FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01)


class SocketlessDrop(httpx.ASGITransport):
    """ASGITransport whose dropped connections look like the network's."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None


@dataclass
class Emulated:
    app: Starlette
    base_url: str
    transport: httpx.AsyncBaseTransport | None

    @property
    def emulator(self) -> Emulator:
        emulator: Emulator = self.app.state.emulator
        return emulator

    @property
    def org(self) -> Org:
        return self.emulator.org

    def credentials(self, flow: str = "password", **fields: Any) -> Credentials:
        user = self.org.config.users[0]
        app = self.org.config.connected_apps[0]
        values: dict[str, Any] = {
            "flow": flow,
            "login_url": self.base_url,
            "consumer_key": app.consumer_key,
            "consumer_secret": app.consumer_secret,
            "username": user.username,
            "password": user.password,
            "security_token": user.security_token,
        }
        values.update(fields)
        return Credentials(**values)

    def client(
        self,
        credentials: Credentials | None = None,
        *,
        pool: ConcurrencyPool | None = None,
        retry: RetryPolicy | None = FAST_RETRY,
        **kwargs: Any,
    ) -> SalesforceClient:
        return SalesforceClient(
            credentials or self.credentials(),
            pool=pool,
            transport=self.transport,
            retry=retry,
            **kwargs,
        )

    def faults(self, spec: str) -> None:
        self.emulator.faults.configure(FaultConfig.parse(spec))

    def stats(self) -> dict[str, Any]:
        return dict(self.emulator.in_flight.to_json())


def in_process(org: Org | None = None, faults: str | None = None) -> Emulated:
    app = create_app(org or Org.demo(), faults=FaultConfig.parse(faults), base_url=BASE_URL)
    return Emulated(app, BASE_URL, SocketlessDrop(app=app))


def listening_socket() -> tuple[socket.socket, str]:
    """A TCP socket listening on a free port of 127.0.0.1, and its base URL."""
    # proto=IPPROTO_TCP: only then does asyncio set TCP_NODELAY on accepted connections.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serving(app: Any, sock: socket.socket, **config: Any) -> Iterator[None]:
    """`app` served by uvicorn on `sock` in a thread, for the duration of the block."""
    options: dict[str, Any] = {"log_level": "warning", "access_log": False} | config
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def on_socket(org: Org | None = None, faults: str | None = None) -> Iterator[Emulated]:
    """The emulator served by uvicorn on 127.0.0.1 in a thread, for the duration of the block."""
    sock, base = listening_socket()
    app = create_app(org or Org.demo(), faults=FaultConfig.parse(faults), base_url=base)
    with serving(drop_connections(app), sock, http="h11", lifespan="off"):
        yield Emulated(app, base, None)
