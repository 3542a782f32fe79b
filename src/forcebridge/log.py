"""Structured logging with a request/run id on every line, and no secrets.

`bind(request_id=...)` puts ids into a context variable so every log line written while
handling that request or run carries them; `configure()` picks JSON or console output.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("fb_log", default=None)

# Values under these keys are never written, whatever logs them.
_SECRET_KEYS = re.compile(r"(secret|password|token|authorization|private_key|assertion)", re.I)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=!-]+")


def redact(value: Any, key: str = "") -> Any:
    if key and _SECRET_KEYS.search(key):
        return "***"
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, str):
        return _BEARER.sub(r"\1***", value)
    return value


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current() -> dict[str, Any]:
    return dict(_context.get() or {})


_base_factory = logging.getLogRecordFactory()


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # Captured when the record is made, so ids survive hand-off to other threads or handlers.
    record = _base_factory(*args, **kwargs)
    record.fb_context = current()
    return record


logging.setLogRecordFactory(_record_with_context)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _BEARER.sub(r"\1***", record.getMessage()),
        }
        data.update(getattr(record, "fb_context", {}))
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            data.update(redact(extra))
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ctx = {**getattr(record, "fb_context", {})}
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            ctx.update(redact(extra))
        tail = " ".join(f"{k}={v}" for k, v in ctx.items())
        msg = _BEARER.sub(r"\1***", record.getMessage())
        line = f"{record.levelname.lower():7} {record.name}: {msg}"
        return f"{line} {tail}".rstrip()


def configure(level: str = "INFO", fmt: str = "console") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    root = logging.getLogger("forcebridge")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def get(name: str) -> logging.Logger:
    return logging.getLogger(name if name.startswith("forcebridge") else f"forcebridge.{name}")


def event(logger: logging.Logger, msg: str, **fields: Any) -> None:
    """Log `msg` at INFO with structured fields (secrets redacted by key name)."""
    logger.info(msg, extra={"fields": fields})
