"""The errors forcebridge raises on purpose, caught by meaning.

Each class below the base names what went wrong for the caller (invalid input, not found, a
conflict, ...); a module's own error subclasses the meaning it has (a mapping problem is
invalid input). Nothing here knows HTTP: the web faces map meanings to statuses
(`forcebridge.http_status`), the CLI prints the message and exits 1. None of them carries a
secret. docs/errors.md lists this tree next to the Salesforce client's and the emulator's.
"""

from __future__ import annotations

from typing import Any


class ForcebridgeError(Exception):
    """Base of every error the service layer raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(ForcebridgeError):
    """A value the caller sent is wrong; `details` names each field and the reason."""

    code = "invalid_input"

    @classmethod
    def field(cls, field: str, reason: str) -> InvalidInput:
        return cls.from_details([{"field": field, "reason": reason}])

    @classmethod
    def from_details(cls, details: list[dict[str, Any]]) -> InvalidInput:
        """One `InvalidInput` whose message lists every detail as `field: reason`, so the
        message always says what the details say."""
        message = "; ".join(f"{d.get('field')}: {d.get('reason')}" for d in details)
        return cls(message, details=details)

    @classmethod
    def from_pydantic(cls, exc: Any) -> InvalidInput:
        """One `InvalidInput` for all the errors of a pydantic `ValidationError`."""
        details = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())) or "input",
                "reason": "unknown field"
                if e.get("type") == "extra_forbidden"
                else str(e.get("msg", "invalid")).removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        return cls.from_details(details)


class AuthorizationFailed(ForcebridgeError):
    """Salesforce did not accept a connection's credentials; the connection keeps the reason
    in its `status_reason`. Like any call whose connection cannot log in, it is the org's
    answer, not the caller's mistake."""

    code = "authorization_failed"


class NotFound(ForcebridgeError):
    """Nothing of that kind with that id or name, for this tenant."""

    code = "not_found"


class Conflict(ForcebridgeError):
    """The request contradicts the current state: a name in use, a run in progress."""

    code = "conflict"


class Unauthenticated(ForcebridgeError):
    """No credential, or one that is invalid, revoked or expired."""

    code = "unauthenticated"


class Forbidden(ForcebridgeError):
    """A valid credential without the scope or the right this needs."""

    code = "forbidden"


class Malformed(ForcebridgeError):
    """Bytes that cannot be read as a request at all (bad encoding), before any field."""

    code = "malformed"


class TooLarge(ForcebridgeError):
    """A body larger than the server accepts."""

    code = "too_large"


class UnsupportedMedia(ForcebridgeError):
    """A body whose content type cannot be read."""

    code = "unsupported_media_type"


class TooManyRequests(ForcebridgeError):
    """A limit on attempts or API calls is used up; the same request works later."""

    code = "too_many_requests"


class Unavailable(ForcebridgeError):
    """Something this needs (Salesforce, the database) is unavailable right now; try again."""

    code = "unavailable"


class Internal(ForcebridgeError):
    """forcebridge's own state is broken (a sealed value no key opens); not the caller's doing."""

    code = "internal"


class StoreError(Internal):
    """The store (forcebridge's own database) cannot be used by this forcebridge as it is."""

    code = "store_error"


class UnknownStoreRevision(StoreError):
    """The store was migrated to a revision this forcebridge does not have: a newer
    forcebridge (or another branch) migrated it, and this one cannot read or upgrade it."""

    code = "unknown_store_revision"
