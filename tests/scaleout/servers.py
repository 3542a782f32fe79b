"""A Redis server of the test's own, on a free port, that a test may stop and start again
(the one make test starts is shared by the whole run)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from types import TracebackType

import pytest
import redis

REQUIRE_SERVICES = os.environ.get("FORCEBRIDGE_TEST_REQUIRE_SERVICES") == "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """`redis-server` without persistence: a restart forgets every queue and lease."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if REQUIRE_SERVICES:
                pytest.fail("redis-server is not installed although make test installs it")
            pytest.skip("redis-server is not installed (scripts/services.sh install)")
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="fb-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
