"""What went wrong talking to Salesforce, sorted by what the caller should do about it.

Callers catch by meaning, not by status code: log in again (`AuthenticationError`), ask a
person to re-authorize (`AuthorizationRevoked`), wait for tomorrow's allocation
(`LimitExceeded`), try again later (`RetryableError`, with `OutcomeUnknown` when a write may or
may not have happened), or fix the data (`RecordError`). Every error carries Salesforce's own
`code`, `message` and `fields` and the HTTP `status`. Messages come from Salesforce's answers,
never from our requests, so no token or password can end up in an exception or a log line.

`error_from_response` is the one place that turns an HTTP answer into one of these; it is pure.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

# Error codes that mean "the org could not do it now; the same request may work later".
# UNABLE_TO_LOCK_ROW and SERVER_UNAVAILABLE are named by the issue; the rest are Salesforce's
# other documented transient codes (REST API Developer Guide, "Status Codes and Error Responses").
RETRYABLE_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "QUERY_TIMEOUT", "REQUEST_RUNNING_TOO_LONG"}
)
RETRYABLE_STATUSES = frozenset({502, 503, 504})
LIMIT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "TXN_SECURITY_LIMIT_EXCEEDED"})
# The identity service answers a dead token with 403 and plain text instead of a 401.
AUTH_CODES = frozenset(
    {"INVALID_SESSION_ID", "INVALID_AUTH_HEADER", "Bad_OAuth_Token", "Missing_OAuth_Token"}
)


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of Salesforce's error array (`errorCode`, or `statusCode` in SaveResults)."""

    code: str
    message: str
    fields: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, item: Any) -> ErrorDetail:
        if not isinstance(item, dict):
            return cls("UNKNOWN_ERROR", str(item))
        code = item.get("errorCode") or item.get("statusCode") or item.get("error") or ""
        message = item.get("message") or item.get("error_description") or ""
        raw_fields = item.get("fields") or []
        fields = tuple(str(f) for f in raw_fields) if isinstance(raw_fields, list) else ()
        return cls(str(code) or "UNKNOWN_ERROR", str(message), fields)


class SalesforceError(Exception):
    """Any failure answered by (or on the way to) Salesforce."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: tuple[str, ...] | list[str] = (),
        status: int | None = None,
        errors: tuple[ErrorDetail, ...] | list[ErrorDetail] = (),
    ) -> None:
        self.code = code
        self.message = message
        self.fields = tuple(fields)
        self.status = status
        self.errors = tuple(errors) or (ErrorDetail(code, message, self.fields),)
        super().__init__(f"{code}: {message}" if message else code)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r})"


class AuthenticationError(SalesforceError):
    """Logging in failed (bad credentials, unknown app, expired assertion, session refused)."""


class AuthorizationRevoked(AuthenticationError):
    """The refresh token no longer works (revoked, expired, user deactivated): a person has to
    authorize the connection again; retrying cannot help."""


class LimitExceeded(SalesforceError):
    """The org's API allocation is used up (403 REQUEST_LIMIT_EXCEEDED)."""


class RetryableError(SalesforceError):
    """A transient failure (503, row lock, timeout, dropped connection): worth another try."""


class OutcomeUnknown(RetryableError):
    """A non-idempotent write (a create) was sent but its answer was lost: it may have been
    applied. Not repeated automatically, because repeating could create a duplicate."""


class CertificateError(SalesforceError):
    """The org's TLS certificate was not trusted (a private CA, a TLS-inspecting proxy, the
    emulator's own certificate): a configuration matter, so retrying cannot help. The message
    names the verification failure; the connection's `ca_bundle` names the CA to trust."""


def certificate_error(exc: BaseException, where: str) -> CertificateError | None:
    """A CertificateError when `exc` (an httpx transport error) failed TLS verification."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            reason = seen.verify_message or seen.reason or "verification failed"
            return CertificateError(
                "CERTIFICATE_UNTRUSTED",
                f"{where}: the server's TLS certificate is not trusted ({reason}); "
                "set the connection's ca_bundle to the CA certificate that signed it",
            )
        seen = seen.__cause__ or seen.__context__
    return None


class RecordError(SalesforceError):
    """Salesforce refused the request itself: bad data, unknown field, missing record, ..."""


def _decode(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace").strip()


def details_of(body: bytes) -> list[ErrorDetail]:
    """The error entries of a Salesforce error body in any of its shapes: a REST array,
    a single object (collections' top-level 400), an OAuth `{error, error_description}`, or
    plain text (the identity service answers `Bad_OAuth_Token`)."""
    data = _decode(body)
    if isinstance(data, list):
        return [ErrorDetail.from_json(item) for item in data] or []
    if isinstance(data, dict):
        return [ErrorDetail.from_json(data)]
    if isinstance(data, str) and data:
        return [ErrorDetail(data.split()[0][:80], data[:500])]
    return []


def error_from_response(status: int, body: bytes, *, refresh: bool = False) -> SalesforceError:
    """The exception for an HTTP error answer. `refresh`: the answer is to a refresh-token
    grant, where `invalid_grant` means the authorization is gone for good."""
    details = details_of(body)
    first = details[0] if details else ErrorDetail(f"HTTP_{status}", "")
    kwargs: dict[str, Any] = {
        "fields": first.fields,
        "status": status,
        "errors": details,
    }
    oauth = _is_oauth(body)
    if oauth:
        if refresh and first.code == "invalid_grant":
            return AuthorizationRevoked(first.code, first.message, **kwargs)
        return AuthenticationError(first.code, first.message, **kwargs)
    if first.code in LIMIT_CODES:
        return LimitExceeded(first.code, first.message, **kwargs)
    if status == 401 or first.code in AUTH_CODES:
        return AuthenticationError(first.code, first.message, **kwargs)
    if status in RETRYABLE_STATUSES or first.code in RETRYABLE_CODES:
        return RetryableError(first.code, first.message, **kwargs)
    return RecordError(first.code, first.message, **kwargs)


def _is_oauth(body: bytes) -> bool:
    data = _decode(body)
    return isinstance(data, dict) and "error" in data and "errorCode" not in data


def is_retryable_detail(detail: ErrorDetail) -> bool:
    """A per-record failure (collections) that a second attempt may fix."""
    return detail.code in RETRYABLE_CODES
