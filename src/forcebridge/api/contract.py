"""The API's contract: every error status a route can answer, declared with one error schema.

Routes are included with `errors(...)` for the statuses their group can answer (declared once
per group, not copied onto each handler), so the OpenAPI document lists each one with
`ErrorBody`, the shape `api.errors` writes. A route with a different error shape (OAuth's
token endpoint, the form hook's rejected posts) declares its own.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: a body that is not valid JSON, or bad percent-encoding.",
    401: "No credential, or one that is invalid, revoked or expired.",
    403: "The credential lacks the scope or the admin right this needs.",
    404: "Nothing of that kind with that id or name in this tenant.",
    405: "The path exists but not with this method; `Allow` lists the methods it has.",
    409: "Conflicts with the current state (a name in use, already running, a replay).",
    413: "The body is larger than the server accepts.",
    415: "The body's content type cannot be read.",
    422: "Invalid input: `details` names each field and the reason.",
    429: "Salesforce's API limit for the org is used up; try again later.",
    500: "An internal error; the log has it under the response's X-Request-Id.",
    502: "Salesforce refused the connection's login (its status says why).",
    503: "Salesforce or the database is unavailable right now; try again.",
}

# what every authenticated API route can answer, and what routes that call Salesforce add
API = (400, 401, 403, 404, 405, 409, 413, 415, 422, 500)
SALESFORCE = (429, 502, 503)


class FieldProblem(BaseModel):
    """One reason a request was refused; `field` names what was wrong when one thing was."""

    model_config = ConfigDict(extra="allow")

    field: str | None = None
    reason: str | None = None


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[FieldProblem]


class ErrorBody(BaseModel):
    """Every error forcebridge's API answers: `{"error": {"code", "message", "details"}}`."""

    error: ErrorInfo


def errors(*statuses: int, model: Any = ErrorBody) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or a group of routes: each status with its description and
    the error schema."""
    return {s: {"model": model, "description": DESCRIPTIONS[s]} for s in statuses}
