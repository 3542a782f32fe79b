"""`forcebridge-emulator serve` as a real subprocess on a free port, for socket-level tests."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

# The package's own command line, as `forcebridge-emulator` runs it (no forcebridge needed).
COMMAND = [sys.executable, "-m", "forcebridge_emulator"]

STARTUP_SECONDS = 30


@dataclass
class Served:
    base_url: str
    username: str
    password: str
    security_token: str
    consumer_key: str
    consumer_secret: str
    cert: Path | None
    output: list[str]


def _value(lines: list[str], label: str) -> str:
    for line in lines:
        if line.strip().startswith(label + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"start-up banner has no {label!r}: {lines}")


@contextmanager
def serve(*args: str) -> Iterator[Served]:
    """Start the emulator with `args` on port 0 and yield what its banner printed."""
    cmd = [*COMMAND, "serve", "--port", "0", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    try:
        while not any("admin:" in line for line in seen):
            try:
                seen.append(lines.get(timeout=STARTUP_SECONDS))
            except queue.Empty:
                raise AssertionError(f"emulator did not start: {seen}") from None
        while not lines.empty():
            seen.append(lines.get())
        tls = any("CA certificate:" in line for line in seen)
        yield Served(
            base_url=_value(seen, "base URL"),
            username=_value(seen, "username"),
            password=_value(seen, "password"),
            security_token=_value(seen, "security token"),
            consumer_key=_value(seen, "consumer key"),
            consumer_secret=_value(seen, "consumer secret"),
            cert=Path(_value(seen, "CA certificate")) if tls else None,
            output=seen,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def tls_session(served: Served) -> requests.Session:
    """A requests session trusting the emulator's CA (as simple-salesforce takes it)."""
    session = requests.Session()
    assert served.cert is not None
    session.verify = str(served.cert)
    # REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE would override `verify`; trust only the emulator's cert.
    session.trust_env = False
    return session


def password_grant(login: Mapping[str, Any]) -> dict[str, str]:
    """The OAuth password grant's form for `login` (a Served's fields, the org info of
    `GET /__emulator__/org`, or `EmulatedOrg.login`)."""
    return {
        "grant_type": "password",
        "client_id": login["consumer_key"],
        "client_secret": login["consumer_secret"],
        "username": login["username"],
        "password": login["password"] + login["security_token"],
    }
