"""What one emulated org holds while it serves: its data, sessions, faults, usage counters,
open query cursors, Bulk API jobs and the Apex REST requests it received.

`Emulator` is the state object every route reaches through `request.app.state.emulator`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request

from forcebridge_emulator._bulk_jobs import BulkJobs
from forcebridge_emulator._bulk_pace import BulkPace
from forcebridge_emulator._faults import FaultConfig, Faults
from forcebridge_emulator._ids import base62, checksum
from forcebridge_emulator._limits import InFlight, Usage
from forcebridge_emulator._oauth import OAuthServer
from forcebridge_emulator._org import Org
from forcebridge_emulator._parent_locks import ParentLocks

MAX_CURSORS = 200
LOCATOR_PREFIX = "01g"


class ApexLog:
    """Every Apex REST request received, oldest first."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def to_json(self, path: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self.requests if path is None or r["path"] == path]


@dataclass
class Cursor:
    total: int
    records: list[dict[str, Any]]
    batch: int


class QueryCursors:
    """Open query locators; the oldest are forgotten first, as a real org expires them."""

    def __init__(self, limit: int = MAX_CURSORS) -> None:
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._limit = limit
        self._next = 1
        self._lock = threading.Lock()

    def open(self, total: int, records: list[dict[str, Any]], batch: int) -> str:
        with self._lock:
            head = LOCATOR_PREFIX + "5g" + base62(self._next, 10)
            self._next += 1
            locator = head + checksum(head)
            self._cursors[locator] = Cursor(total, records, batch)
            while len(self._cursors) > self._limit:
                self._cursors.popitem(last=False)
            return locator

    def get(self, locator: str) -> Cursor | None:
        with self._lock:
            cursor = self._cursors.get(locator)
            if cursor is not None:
                self._cursors.move_to_end(locator)
            return cursor

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()


class Emulator:
    """Everything one emulated org holds while it serves: data, sessions, faults, counters."""

    def __init__(
        self, org: Org, *, faults: FaultConfig | None = None, base_url: str | None = None
    ) -> None:
        self.org = org
        self.base_url = base_url.rstrip("/") if base_url else None
        self.faults = Faults(faults)
        self._start = (org.checkpoint(), replace(self.faults.config))
        self.usage = Usage(org.config.daily_api_requests)
        self.in_flight = InFlight()
        self.apex_log: ApexLog = ApexLog()
        self.cursors = QueryCursors()
        self.oauth = OAuthServer(org, base_url=self.base_url)
        self.parent_locks = ParentLocks(self.faults)
        self.bulk = BulkJobs(org, BulkPace(self.faults, self.parent_locks))
        # The PEM a client must trust when served over TLS (set by `serve`).
        self.ca_certificate: str | None = None

    def reset(self) -> None:
        """Back to how the org started: its records and the faults given at start; no usage,
        logs, open query cursors or Bulk jobs. Users, apps and sessions stay."""
        records, faults = self._start
        self.bulk.clear()
        self.org.rewind(records)
        self.usage.reset()
        self.in_flight.reset()
        self.apex_log.clear()
        self.cursors.clear()
        self.faults.configure(replace(faults))

    def instance_url(self, request: Request) -> str:
        """The org's base URL: configured, or the one the client reached us at."""
        if self.base_url:
            return self.base_url
        if self.org.config.instance_url:
            return self.org.config.instance_url.rstrip("/")
        return str(request.base_url).rstrip("/")
