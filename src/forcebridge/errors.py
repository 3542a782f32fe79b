"""The errors forcebridge's service layer raises, caught by meaning.

The API turns them into `{"error": {"code", "message", "details"}}` with a matching status;
the CLI prints them. None of them carries a secret.
"""

from __future__ import annotations

from typing import Any


class ForcebridgeError(Exception):
    """Base of every error the service layer raises on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(ForcebridgeError):
    """A value the caller sent is wrong; `details` names each field and the reason."""

    code = "invalid_input"
    status = 422

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
    in its `status_reason`."""

    code = "authorization_failed"
    status = 502  # like any call whose connection cannot log in


class NotFound(ForcebridgeError):
    code = "not_found"
    status = 404


class Conflict(ForcebridgeError):
    code = "conflict"
    status = 409


class Unauthenticated(ForcebridgeError):
    code = "unauthenticated"
    status = 401


class Forbidden(ForcebridgeError):
    code = "forbidden"
    status = 403
