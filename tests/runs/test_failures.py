"""What a run's failure event says for each way a run stops: pure, no run needed."""

from __future__ import annotations

from forcebridge.runs.failures import INTERNAL_ERROR, failure_of
from forcebridge.salesforce import (
    AuthenticationError,
    AuthorizationRevoked,
    LimitExceeded,
    RetryableError,
)
from forcebridge.sources import SourceError
from forcebridge.sync.plan import PlanError, Problem


def test_a_mapping_that_does_not_fit_names_its_fields() -> None:
    failure = failure_of(PlanError([Problem("Phone", "not updateable"), Problem("Fax", "x")]))
    assert failure.error_code == "invalid_mapping" and failure.fields == ["Fax", "Phone"]
    assert failure.message.startswith("the mapping does not fit the org: Phone: not updateable")


def test_salesforce_failures_say_what_to_do() -> None:
    revoked = failure_of(AuthorizationRevoked("invalid_grant", "expired access/refresh token"))
    assert revoked.error_code == "invalid_grant" and "authorize the connection again" in (
        revoked.message)
    refused = failure_of(AuthenticationError("INVALID_LOGIN", "bad password"))
    assert "refused the connection's credentials" in refused.message
    limit = failure_of(LimitExceeded("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
    assert "the next run continues" in limit.message
    flaky = failure_of(RetryableError("SERVER_UNAVAILABLE", "503"))
    assert flaky.message == "Salesforce kept failing (SERVER_UNAVAILABLE: 503)"


def test_the_source_and_the_unexpected() -> None:
    unreadable = failure_of(SourceError("orders.csv: no such file"))
    assert unreadable.error_code == "source_error" and "orders.csv" in unreadable.message
    boom = failure_of(ZeroDivisionError("division by zero"))
    assert boom.error_code == INTERNAL_ERROR and "ZeroDivisionError" in boom.message
    assert "division by zero" not in boom.message  # the detail goes to the server log only
