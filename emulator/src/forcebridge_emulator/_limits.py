"""The org's daily API allocation and how many calls each connected app has in flight.

Salesforce counts every API call against a rolling 24-hour allocation and reports it on each
response as `Sforce-Limit-Info: api-usage=N/M`; once the allocation is used up, calls are refused
with 403 REQUEST_LIMIT_EXCEEDED. The in-flight counters exist so a test can verify, from outside,
that a client never ran more calls at once than its configured concurrency level.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from forcebridge_emulator._errors import ApiError

# Static part of GET /limits: the keys of camel/limits.json (a captured response) and those the
# REST API guide's "List Org Limits" example shows for current orgs (v62 and on: Bulk API 2.0
# query jobs and storage, platform event and ID-mapping allocations, permission sets) that every
# org has; Dev Hub, Analytics and Einstein allocations depend on licences and are left out.
_STATIC_LIMITS: dict[str, tuple[int, int]] = {
    "DailyAsyncApexTests": (500, 500),
    "DailyBulkApiBatches": (15000, 15000),
    "DailyBulkV2QueryFileStorageMB": (976562, 976562),
    "DailyBulkV2QueryJobs": (10000, 10000),
    "DailyDeliveredPlatformEvents": (10000, 10000),
    "DailyStandardVolumePlatformEvents": (10000, 10000),
    "HourlyLongTermIdMapping": (100000, 100000),
    "HourlyManagedContentPublicRequests": (50000, 50000),
    "HourlyPublishedPlatformEvents": (50000, 50000),
    "HourlyPublishedStandardVolumePlatformEvents": (1000, 1000),
    "HourlyShortTermIdMapping": (100000, 100000),
    "PrivateConnectOutboundCalloutHourlyLimitMB": (0, 0),
    "ConcurrentAsyncGetReportInstances": (200, 200),
    "ConcurrentSyncReportRuns": (20, 20),
    "DailyAsyncApexExecutions": (250000, 250000),
    "DailyBulkApiRequests": (5000, 5000),
    "DailyDurableGenericStreamingApiEvents": (10000, 10000),
    "DailyDurableStreamingApiEvents": (10000, 10000),
    "DailyGenericStreamingApiEvents": (10000, 10000),
    "DailyStreamingApiEvents": (10000, 10000),
    "DailyWorkflowEmails": (390, 390),
    "DataStorageMB": (5, 5),
    "DurableStreamingApiConcurrentClients": (20, 20),
    "FileStorageMB": (20, 20),
    "HourlyAsyncReportRuns": (1200, 1200),
    "HourlyDashboardRefreshes": (200, 200),
    "HourlyDashboardResults": (5000, 5000),
    "HourlyDashboardStatuses": (999999999, 999999999),
    "HourlyODataCallout": (10000, 9999),
    "HourlySyncReportRuns": (500, 500),
    "HourlyTimeBasedWorkflow": (50, 50),
    "MassEmail": (10, 10),
    "SingleEmail": (15, 15),
    "StreamingApiConcurrentClients": (20, 20),
}

LIMIT_EXCEEDED_MESSAGE = "TotalRequests Limit exceeded."


class Usage:
    """Calls counted against the org's daily allocation (`DailyApiRequests`)."""

    def __init__(self, allocation: int) -> None:
        self.allocation = allocation
        self.used = 0
        self._lock = threading.Lock()

    def count(self) -> None:
        """Count one call, or refuse it when the allocation is used up.

        A refused call is not counted, as in Salesforce: the header then shows the full allocation.
        """
        with self._lock:
            if self.used >= self.allocation:
                raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", LIMIT_EXCEEDED_MESSAGE)
            self.used += 1

    def exhaust(self) -> None:
        with self._lock:
            self.used = max(self.used, self.allocation)

    def reset(self) -> None:
        with self._lock:
            self.used = 0

    @property
    def remaining(self) -> int:
        return max(self.allocation - self.used, 0)

    def header(self) -> str:
        """The value of `Sforce-Limit-Info`."""
        return f"api-usage={min(self.used, self.allocation)}/{self.allocation}"

    def limits_body(self) -> dict[str, Any]:
        """GET /limits: the recorded key set with DailyApiRequests reflecting real usage."""
        body: dict[str, Any] = {
            name: {"Max": top, "Remaining": left} for name, (top, left) in _STATIC_LIMITS.items()
        }
        body["DailyApiRequests"] = {"Max": self.allocation, "Remaining": self.remaining}
        body["PermissionSets"] = {
            "Max": 1500,
            "Remaining": 1499,
            "CreateCustom": {"Max": 1000, "Remaining": 999},
        }
        return dict(sorted(body.items()))


@dataclass
class AppLoad:
    """Calls of one connected app: how many run now, the most that ever ran at once, the total."""

    in_flight: int = 0
    max_in_flight: int = 0
    calls: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "calls": self.calls,
        }


class InFlight:
    """Per connected app concurrency, keyed by the app's name (sessions without an app: "")."""

    def __init__(self) -> None:
        self.apps: dict[str, AppLoad] = {}
        self._lock = threading.Lock()

    def enter(self, app: str) -> None:
        with self._lock:
            load = self.apps.setdefault(app, AppLoad())
            load.in_flight += 1
            load.calls += 1
            load.max_in_flight = max(load.max_in_flight, load.in_flight)

    def leave(self, app: str) -> None:
        with self._lock:
            self.apps[app].in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            for name, load in list(self.apps.items()):
                self.apps[name] = AppLoad(in_flight=load.in_flight, max_in_flight=load.in_flight)

    def to_json(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {name: load.to_json() for name, load in self.apps.items()}
