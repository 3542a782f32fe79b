"""Structured logs: ids on every line, secrets never."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from forcebridge import log
from tests.conftest import bearer


def _record(msg: str, **fields: object) -> logging.LogRecord:
    record = logging.getLogRecordFactory()("forcebridge.test", logging.INFO, __file__, 1, msg, None, None)
    record.fields = fields
    return record


def test_json_lines_carry_the_bound_ids_and_redact_secrets() -> None:
    with log.bind(run_id="run-7"):
        record = _record(
            "calling Authorization: Bearer abc.def-123",
            password="hunter2",
            nested={"client_secret": "x", "n": 1},
        )
    line = json.loads(log.JsonFormatter().format(record))
    assert line["run_id"] == "run-7"
    assert line["password"] == "***" and line["nested"] == {"client_secret": "***", "n": 1}
    assert "abc.def-123" not in line["msg"]


def test_console_lines_redact_too() -> None:
    line = log.ConsoleFormatter().format(_record("token Bearer sekrit", security_token="tok"))
    assert "sekrit" not in line and "tok" not in line.replace("token", "")


def test_every_request_is_logged_with_its_id(
    api: TestClient, admin_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="forcebridge"):
        resp = api.get("/api/v1/users", headers={**bearer(admin_key), "X-Request-Id": "req-abc"})
    records = [r for r in caplog.records if r.getMessage() == "request"]
    assert records and records[-1].fb_context["request_id"] == "req-abc"  # type: ignore[attr-defined]
    assert records[-1].fields["status"] == resp.status_code  # type: ignore[attr-defined]
    assert admin_key not in caplog.text
