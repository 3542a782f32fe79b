"""Errors say what went wrong; only the web faces turn that into an HTTP status."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import forcebridge
from forcebridge.errors import ForcebridgeError, InvalidInput, NotFound
from forcebridge.http_status import STATUSES, status_of
from forcebridge.salesforce import (
    AuthenticationError,
    LimitExceeded,
    RecordError,
    RetryableError,
    SalesforceError,
)
from forcebridge.services.records import SalesforceRejected, rejected
from forcebridge.sync.mapper import FieldError, MappingError


def _every_error() -> set[type[ForcebridgeError]]:
    for module in pkgutil.walk_packages(forcebridge.__path__, "forcebridge."):
        if ".store.migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)  # scripts run by a tool, not imported
    found: set[type[ForcebridgeError]] = set()
    todo = [ForcebridgeError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(c for c in cls.__subclasses__() if c not in found)
    return found


def test_no_error_class_carries_an_http_status() -> None:
    carrying = sorted(f"{c.__module__}.{c.__qualname__}" for c in _every_error()
                      if "status" in vars(c))
    assert carrying == []


def test_a_module_error_answers_the_status_of_its_meaning() -> None:
    mapping = MappingError("a-1", [FieldError("Name", "is required")])
    assert isinstance(mapping, InvalidInput)
    assert status_of(mapping) == STATUSES[InvalidInput] == 422
    assert status_of(NotFound("integration 'x' not found")) == 404
    assert status_of(ForcebridgeError("no meaning given")) == 400


@pytest.mark.parametrize(("error", "status"), [
    (RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", status=400), 422),
    (RecordError("NOT_FOUND", "The requested resource does not exist", status=404), 404),
    (RecordError("MULTIPLE_CHOICES", "several records match", status=300), 409),
    (AuthenticationError("invalid_grant", "expired access/refresh token", status=400), 502),
    (LimitExceeded("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403), 429),
    (RetryableError("SERVER_UNAVAILABLE", "try later", status=503), 503),
])
def test_salesforce_refusals_keep_their_code_and_answer_by_meaning(
    error: SalesforceError, status: int
) -> None:
    assert not isinstance(error, ForcebridgeError)
    ours = rejected(error, connection="prod")
    assert isinstance(ours, SalesforceRejected)
    assert ours.code == error.code
    assert status_of(ours) == status
