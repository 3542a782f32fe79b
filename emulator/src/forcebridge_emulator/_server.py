"""Serving the emulator on a real socket (`forcebridge-emulator serve`), optionally over TLS.

Clients such as simple-salesforce only speak https, so `--tls` makes a self-signed certificate
for localhost/127.0.0.1, written where the banner and `/__emulator__/org` (`ca_certificate`)
say, for a client to trust as its CA. Idle keep-alive connections stay open `keep_alive`
seconds (75 by default, as nginx; uvicorn's own 5 s drops pooled connections that a client such
as simple-salesforce reuses after waiting on a Bulk job). The HTTP
protocol class is uvicorn's h11 one with one change: when a fault drops a connection, the socket
is closed without the 500 uvicorn would otherwise send, so the client sees what it would see when
a real connection dies after the server applied the write.
"""

from __future__ import annotations

import datetime as dt
import errno
import ipaddress
import logging
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.types import ASGIApp, Receive, Scope, Send

from forcebridge_emulator._admin import org_info
from forcebridge_emulator._app import create_app
from forcebridge_emulator._faults import FaultConfig
from forcebridge_emulator._org import Org
from forcebridge_emulator._pipeline import ConnectionDropped

log = logging.getLogger("forcebridge_emulator")

DEFAULT_KEEP_ALIVE = 75


class ServeError(Exception):
    """The emulator cannot start serving; the message says why in one line."""


def drop_connections(app: ASGIApp) -> ASGIApp:
    """Wrap `app` so a `ConnectionDropped` closes the socket with nothing sent.

    uvicorn answers an exception from the app with a 500 unless the client is gone; the
    transport sits on uvicorn's `send` (its request-response cycle), so the cycle is marked
    disconnected and its transport closed, exactly what the client of a dying server sees.
    """

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        except ConnectionDropped as exc:
            cycle = getattr(send, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is None:
                raise
            log.info("fault: %s", exc)
            cycle.disconnected = True  # type: ignore[union-attr]
            transport.close()

    return wrapped


@dataclass
class Certificate:
    cert_path: Path
    key_path: Path


def make_certificate(
    directory: Path, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> Certificate:
    """A self-signed certificate (and its key) valid for `hosts`, written into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "emulator-cert.pem"
    key_path = directory / "emulator-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return Certificate(cert_path, key_path)


def _on_shutdown(app: ASGIApp, on_stop: Callable[[], None] | None) -> ASGIApp:
    """Answer the ASGI lifespan protocol here, calling `on_stop` at shutdown."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if on_stop is not None:
                    on_stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    return wrapped


def bind(host: str, port: int) -> socket.socket:
    """Bind first, so `--port 0` gives a real port to print before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(
        family, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )  # asyncio sets TCP_NODELAY only then
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is already in use") from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    return sock


def public_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - naming the wildcard, not binding to it
        return "localhost"
    return f"[{host}]" if ":" in host else host


def banner(info: dict[str, Any], cert: Certificate | None) -> str:
    """What to connect with, printed at start-up (also `GET /__emulator__/org`)."""
    lines = [
        "forcebridge Salesforce emulator",
        f"  base URL:         {info['base_url']}",
        f"  token URL:        {info['token_url']}",
        f"  username:         {info['username']}",
        f"  password:         {info['password']}",
        f"  security token:   {info['security_token']}",
        f"  consumer key:     {info['consumer_key']}",
        f"  consumer secret:  {info['consumer_secret']}",
    ]
    if cert is not None:
        lines.append(f"  CA certificate:   {cert.cert_path}")
    lines.append(f"  admin:            {info['base_url']}/__emulator__/org")
    return "\n".join(lines)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    tls: bool = False,
    cert_dir: Path | None = None,
    org: Any = None,
    faults: FaultConfig | None = None,
    out: TextIO | None = None,
    log_level: str = "warning",
    keep_alive: int = DEFAULT_KEEP_ALIVE,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Run the emulator until interrupted, after printing how to connect to it.

    `on_stop` runs during the server's graceful shutdown (uvicorn re-raises SIGTERM/SIGINT
    once it has stopped, so code after `run()` would never see it). Raises `ServeError` when
    the address cannot be bound (a port in use).
    """
    sock = bind(host, port)
    actual_port = sock.getsockname()[1]
    cert = (
        make_certificate(cert_dir or Path(tempfile.mkdtemp(prefix="fb-emulator-"))) if tls else None
    )
    scheme = "https" if tls else "http"
    base_url = f"{scheme}://{public_host(host)}:{actual_port}"
    the_org = org if org is not None else Org.demo()
    app = create_app(the_org, faults=faults, base_url=base_url)
    app.state.emulator.ca_certificate = str(cert.cert_path) if cert else None
    info = org_info(app.state.emulator, base_url)
    if out is not None:
        print(banner(info, cert), file=out, flush=True)
    config = uvicorn.Config(
        _on_shutdown(drop_connections(app), on_stop),
        http="h11",
        log_level=log_level,
        access_log=False,
        ssl_certfile=str(cert.cert_path) if cert else None,
        ssl_keyfile=str(cert.key_path) if cert else None,
        timeout_keep_alive=keep_alive,
        timeout_graceful_shutdown=2,
    )
    uvicorn.Server(config).run(sockets=[sock])
