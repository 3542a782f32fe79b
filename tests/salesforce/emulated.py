"""The emulator as the org behind the client tests: in-process, or on a real socket.

Both come from `forcebridge_emulator.testing`; in-process, its transport makes a dropped
connection end as on the network (`RemoteProtocolError`), so the client code under test meets
exactly what it meets over a socket (the socket tests check that). `listening_socket` and
`serving` serve another app (the console) beside it.
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
from forcebridge_emulator import FaultConfig, Org
from forcebridge_emulator import testing as emulator_testing

BASE_URL = "https://emulator.test"
FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01)


@dataclass
class Emulated:
    app: Starlette
    base_url: str
    transport: httpx.AsyncBaseTransport | None

    @property
    def emulator(self) -> Any:
        """The org's live state (`forcebridge_emulator.testing.EmulatedOrg.state`)."""
        return self.app.state.emulator

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
    emulated = emulator_testing.in_process(org, faults, base_url=BASE_URL)
    return Emulated(emulated.app, BASE_URL, emulated.transport)


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
    with emulator_testing.on_socket(org, faults) as emulated:
        yield Emulated(emulated.app, emulated.base_url, None)
