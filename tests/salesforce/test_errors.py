"""Error classification, usage parsing and secret hygiene: pure functions, no org needed.

Bodies without a public recording follow Salesforce's REST API Developer Guide, "Status Codes
and Error Responses" (REQUEST_LIMIT_EXCEEDED 403, SERVER_UNAVAILABLE 503, UNABLE_TO_LOCK_ROW).
"""

from __future__ import annotations

import json

import pytest

from forcebridge.salesforce import (
    AuthenticationError,
    AuthorizationRevoked,
    Credentials,
    LimitExceeded,
    RecordError,
    RetryableError,
    SalesforceError,
    Token,
)
from forcebridge.salesforce.errors import error_from_response
from forcebridge.salesforce.usage import parse_limit_info


def rest(code: str, message: str = "m", fields: list[str] | None = None) -> bytes:
    return json.dumps([{"message": message, "errorCode": code, "fields": fields or []}]).encode()


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (401, rest("INVALID_SESSION_ID"), AuthenticationError, "INVALID_SESSION_ID"),
        (403, rest("REQUEST_LIMIT_EXCEEDED"), LimitExceeded, "REQUEST_LIMIT_EXCEEDED"),
        (503, rest("SERVER_UNAVAILABLE"), RetryableError, "SERVER_UNAVAILABLE"),
        (400, rest("UNABLE_TO_LOCK_ROW"), RetryableError, "UNABLE_TO_LOCK_ROW"),
        (
            400,
            rest("REQUIRED_FIELD_MISSING", fields=["Name"]),
            RecordError,
            "REQUIRED_FIELD_MISSING",
        ),
        (404, rest("NOT_FOUND"), RecordError, "NOT_FOUND"),
        (
            400,
            b'{"error":"invalid_grant","error_description":"authentication failure"}',
            AuthenticationError,
            "invalid_grant",
        ),
        (403, b"Bad_OAuth_Token", AuthenticationError, "Bad_OAuth_Token"),
        (502, b"", RetryableError, "HTTP_502"),
        (500, b"<html>oops</html>", RecordError, "<html>oops</html>"),
    ],
)
def test_answers_become_errors_by_meaning(
    status: int, body: bytes, cls: type[SalesforceError], code: str
) -> None:
    error = error_from_response(status, body)
    assert type(error) is cls
    assert error.code == code and error.status == status


def test_invalid_grant_on_refresh_means_revoked() -> None:
    body = b'{"error":"invalid_grant","error_description":"expired access/refresh token"}'
    assert type(error_from_response(400, body, refresh=True)) is AuthorizationRevoked
    assert type(error_from_response(400, body)) is AuthenticationError


def test_error_keeps_fields_and_every_detail() -> None:
    body = json.dumps(
        [
            {"message": "a", "errorCode": "X", "fields": ["F1", "F2"]},
            {"message": "b", "errorCode": "Y", "fields": []},
        ]
    ).encode()
    error = error_from_response(400, body)
    assert error.fields == ("F1", "F2")
    assert [e.code for e in error.errors] == ["X", "Y"]


def test_usage_header() -> None:
    usage = parse_limit_info("api-usage=810/15000")
    assert usage is not None and (usage.used, usage.allocation, usage.remaining) == (
        810,
        15000,
        14190,
    )
    both = parse_limit_info("api-usage=18/5000, per-app-api-usage=17/250(appName=sample)")
    assert both is not None and (both.app_used, both.app_allocation) == (17, 250)
    assert parse_limit_info(None) is None and parse_limit_info("nothing") is None


def test_no_secret_in_repr() -> None:
    creds = Credentials(
        "password",
        consumer_key="ck",
        consumer_secret="SECRET-1",
        username="u",
        password="SECRET-2",
        security_token="SECRET-3",
        private_key="SECRET-4",
        refresh_token="SECRET-5",
    )
    token = Token("SECRET-6", "https://x", refresh_token="SECRET-7")
    for text in (repr(creds), str(creds), repr(token), str(token)):
        assert "SECRET" not in text
    assert "ck" in repr(creds)
