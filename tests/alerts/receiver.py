"""A real HTTP server on loopback standing for Slack's incoming webhooks or a webhook endpoint:
it keeps every request it receives and can be told to fail the next few."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer 500 to this many requests (not kept)


@contextmanager
def receiver(path: str = "/hook") -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            box = state["box"]
            if box.fail_next > 0:
                box.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            box.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                         raw))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["box"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["box"]
    finally:
        server.shutdown()
        server.server_close()
