"""The emulator inside a test: in-process for httpx clients, on a socket for any other client.

    from forcebridge_emulator.testing import in_process, on_socket

    org = in_process()                       # httpx: transport=org.transport
    with on_socket(tls=True) as org:         # requests, simple-salesforce, jsforce, curl...
        Salesforce(instance_url=org.base_url, session_id=org.access_token())

Registered as a pytest plugin (`pytest_plugins = ["forcebridge_emulator.testing"]`) it adds
two fixtures: `salesforce_org` (in-process, the demo org) and `salesforce_server` (on a socket
over TLS, the demo org). In-process needs httpx, which the emulator itself does not depend on.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette

from forcebridge_emulator._app import create_app
from forcebridge_emulator._faults import FaultConfig
from forcebridge_emulator._org import Org
from forcebridge_emulator._pipeline import ConnectionDropped
from forcebridge_emulator._server import (
    DEFAULT_KEEP_ALIVE,
    bind,
    drop_connections,
    make_certificate,
)
from forcebridge_emulator._state import Emulator

if TYPE_CHECKING:
    import httpx

__all__ = ["ConnectionDropped", "EmulatedOrg", "in_process", "on_socket", "transport"]

IN_PROCESS_URL = "https://emulator.test"
STARTUP_SECONDS = 10


@dataclass
class EmulatedOrg:
    """One emulated org under test: its app, where clients reach it, and its live state."""

    app: Starlette
    base_url: str
    # The CA a client must trust (on_socket with tls=True), else None.
    ca_certificate: Path | None = None

    @property
    def state(self) -> Emulator:
        """The org's live state: `.org` (records), `.oauth` (sessions), `.faults`, `.usage`,
        `.apex_log`, `.bulk` (jobs)."""
        emulator: Emulator = self.app.state.emulator
        return emulator

    @property
    def org(self) -> Org:
        return self.state.org

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport into the app (in-process tests)."""
        return transport(self.app)

    @property
    def login(self) -> dict[str, str]:
        """The first user's and connected app's credentials, as a client's login needs them."""
        config = self.org.config
        user, app = config.users[0], config.connected_apps[0]
        return {
            "username": user.username,
            "password": user.password,
            "security_token": user.security_token,
            "consumer_key": app.consumer_key,
            "consumer_secret": app.consumer_secret,
        }

    def access_token(self, username: str | None = None) -> str:
        """A session id for `username` (default: the first user), as if it had logged in."""
        config = self.org.config
        return self.state.oauth.issue_token_for(
            username or config.users[0].username,
            consumer_key=config.connected_apps[0].consumer_key,
        )

    def set_faults(self, spec: str | None) -> None:
        """Replace the faults (a spec such as `latency=50,error503=0.1`; None: no faults)."""
        self.state.faults.configure(FaultConfig.parse(spec))


def transport(app: Starlette) -> httpx.AsyncBaseTransport:
    """An httpx ASGI transport whose dropped connections look like the network's: the client
    gets `httpx.RemoteProtocolError`, as when a server dies after applying a write."""
    import httpx

    class _Transport(httpx.ASGITransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            try:
                return await super().handle_async_request(request)
            except ConnectionDropped:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from None

    return _Transport(app=app)


def in_process(
    org: Org | None = None, faults: str | None = None, *, base_url: str = IN_PROCESS_URL
) -> EmulatedOrg:
    """An org answered in-process (no socket), reached through `EmulatedOrg.transport`."""
    app = create_app(org or Org.demo(), faults=FaultConfig.parse(faults), base_url=base_url)
    return EmulatedOrg(app, base_url)


@contextmanager
def on_socket(
    org: Org | None = None,
    faults: str | None = None,
    *,
    tls: bool = False,
    host: str = "127.0.0.1",
    keep_alive: int = DEFAULT_KEEP_ALIVE,
) -> Iterator[EmulatedOrg]:
    """The org served by uvicorn in a thread on a free port, for the duration of the block."""
    sock = bind(host, 0)
    scheme = "https" if tls else "http"
    base = f"{scheme}://{host}:{sock.getsockname()[1]}"  # the certificate names 127.0.0.1 too
    with tempfile.TemporaryDirectory(prefix="fb-emulator-") as tmp:
        cert = make_certificate(Path(tmp)) if tls else None
        app = create_app(org or Org.demo(), faults=FaultConfig.parse(faults), base_url=base)
        app.state.emulator.ca_certificate = str(cert.cert_path) if cert else None
        config = uvicorn.Config(
            drop_connections(app),
            http="h11",
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=keep_alive,
            ssl_certfile=str(cert.cert_path) if cert else None,
            ssl_keyfile=str(cert.key_path) if cert else None,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the emulator did not start")
            time.sleep(0.01)
        try:
            yield EmulatedOrg(app, base, cert.cert_path if cert else None)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


try:  # the fixtures exist only where pytest does
    import pytest
except ImportError:  # pragma: no cover - used without pytest
    pass
else:

    @pytest.fixture
    def salesforce_org() -> EmulatedOrg:
        """The demo org, in-process (use `.transport` with httpx)."""
        return in_process()

    @pytest.fixture
    def salesforce_server() -> Iterator[EmulatedOrg]:
        """The demo org on a local TLS socket (trust `.ca_certificate`)."""
        with on_socket(tls=True) as org:
            yield org
