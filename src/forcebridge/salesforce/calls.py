"""What one Salesforce call was, told to a listener after it (metrics, traces), without a body.

A `Call` names the method and the *path template* (`/services/data/v{version}/sobjects/
Account/{id}`), never the path itself: record ids, external-id values, job ids and query
locators are data, and neither a metric label nor a span attribute may carry them. No token,
no query string, no body ever reaches a listener. `path_template` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from forcebridge.salesforce.usage import ApiUsage

_VERSION = re.compile(r"^v\d+\.\d+$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # an object, field or resource name
# Fixed resource words kept as they are when they follow the version.
_WORDS = frozenset({
    "sobjects", "describe", "query", "queryAll", "limits", "composite", "tree", "batch",
    "jobs", "ingest", "batches", "successfulResults", "failedResults", "unprocessedrecords",
    "results", "collections", "recordCount", "search", "parameterizedSearch", "updated",
    "deleted", "eventSchema", "graph",
})


@dataclass(frozen=True)
class Call:
    """One HTTP exchange with the org: its answer's status (None when no answer came) and
    Salesforce's error code when it failed. Times are `time.time_ns()` values."""

    method: str
    path: str  # a template: see path_template
    status: int | None
    error_code: str | None
    started_ns: int
    ended_ns: int
    usage: ApiUsage | None = None

    @property
    def seconds(self) -> float:
        return (self.ended_ns - self.started_ns) / 1e9


CallListener = Callable[[Call], None]


def path_template(url_or_path: str) -> str:
    """The path of `url_or_path` with every piece of data replaced by a placeholder."""
    path = urlsplit(url_or_path).path if "://" in url_or_path else url_or_path.split("?", 1)[0]
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["services", "data"]:
        return "/services/data" + _data_template(parts[2:])
    if parts[:2] == ["services", "oauth2"]:
        return "/" + "/".join(parts[:3])
    if parts[:2] == ["services", "apexrest"]:
        return "/services/apexrest/{path}" if len(parts) > 2 else "/services/apexrest"
    if parts[:1] == ["id"]:
        return "/id/{org}/{user}"
    if parts[:2] == ["services", "Soap"]:
        return "/services/Soap/{api}"
    return "/{path}" if parts else "/"


def _data_template(parts: list[str]) -> str:
    if not parts:
        return ""
    out = ["v{version}" if _VERSION.match(parts[0]) else "{version}"]
    rest = parts[1:]
    if rest[:1] == ["sobjects"]:
        out.append("sobjects")
        tail = rest[1:]
        if tail:
            out.append(tail[0] if _NAME.match(tail[0]) else "{object}")
        if len(tail) > 1:
            second = tail[1]
            if second in _WORDS:
                out.append(second)
            elif _looks_like_id(second):
                out.append("{id}")
                out.extend(p if _NAME.match(p) else "{value}" for p in tail[2:3])
            elif _NAME.match(second):
                out.append(second)  # an external-id field; its value follows
                if len(tail) > 2:
                    out.append("{value}")
            else:
                out.append("{value}")
        return "/" + "/".join(out)
    for prev, part in zip(["", *rest], rest, strict=False):
        named = prev == "sobjects" and _NAME.match(part) and not _looks_like_id(part)
        out.append(part if part in _WORDS or named else "{id}")
    return "/" + "/".join(out)


def _looks_like_id(part: str) -> bool:
    return len(part) in (15, 18) and part.isalnum() and any(c.isdigit() for c in part)
