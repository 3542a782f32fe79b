"""The shapes in which the emulator says no, exactly as Salesforce does.

REST errors are a JSON array of `{message, errorCode, fields}`; OAuth errors are a flat
`{error, error_description}` object; per-record results (collections, composite, bulk)
carry `statusCode` instead of `errorCode`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """A whole REST request refused: `status` with body `[{"message","errorCode","fields"}]`."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields
        self.headers = headers or {}

    def body(self) -> list[dict[str, Any]]:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]

    def save_error(self) -> SaveError:
        return SaveError(self.error_code, self.message, list(self.fields or []))


class OAuthError(Exception):
    """An OAuth endpoint refusing: `status` with body `{"error","error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class SaveError:
    """One error of one record in a SaveResult."""

    status_code: str
    message: str
    fields: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "message": self.message, "fields": self.fields}

    def as_api_error(self, status: int = 400) -> ApiError:
        return ApiError(status, self.status_code, self.message, self.fields)


@dataclass
class SaveResult:
    """The outcome of writing one record (insert, update, upsert or delete)."""

    id: str | None
    success: bool
    errors: list[SaveError] = field(default_factory=list)
    created: bool | None = None

    @classmethod
    def failed(cls, error: SaveError, record_id: str | None = None) -> SaveResult:
        return cls(id=record_id, success=False, errors=[error])

    def to_json(self, *, with_created: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "success": self.success,
            "errors": [e.to_json() for e in self.errors],
        }
        if with_created and self.created is not None:
            out["created"] = self.created
        return out
