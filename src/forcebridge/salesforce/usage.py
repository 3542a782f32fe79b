"""API usage as Salesforce reports it on every answer: `Sforce-Limit-Info: api-usage=N/M`.

The header may carry more than one part (`api-usage=18/5000, per-app-api-usage=17/250
(appName=sample-app)`, REST API Developer Guide, "Limit Info Header"); we keep the org-wide
figure and the connected app's one when present. Pure parsing, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PART = re.compile(r"(?P<name>[\w-]+)=(?P<used>\d+)/(?P<max>\d+)")


@dataclass(frozen=True)
class ApiUsage:
    used: int
    allocation: int
    app_used: int | None = None
    app_allocation: int | None = None

    @property
    def remaining(self) -> int:
        return max(self.allocation - self.used, 0)

    @property
    def share_used(self) -> float:
        return self.used / self.allocation if self.allocation else 1.0


def parse_limit_info(header: str | None) -> ApiUsage | None:
    """The usage in a `Sforce-Limit-Info` value, or None when it has no api-usage part."""
    if not header:
        return None
    parts = {
        m.group("name").lower(): (int(m["used"]), int(m["max"])) for m in _PART.finditer(header)
    }
    org = parts.get("api-usage")
    if org is None:
        return None
    app = parts.get("per-app-api-usage")
    return ApiUsage(org[0], org[1], app[0] if app else None, app[1] if app else None)


def usage_from_limits(body: Any) -> ApiUsage | None:
    """The org's usage in a `/limits` answer (`DailyApiRequests`: `Max`, `Remaining`)."""
    daily = body.get("DailyApiRequests") if isinstance(body, dict) else None
    if not isinstance(daily, dict):
        return None
    top, left = daily.get("Max"), daily.get("Remaining")
    if not isinstance(top, int) or not isinstance(left, int):
        return None
    return ApiUsage(max(top - left, 0), top)
