"""Pydantic shapes shared by the routers: strict input (unknown fields refused), plain output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from forcebridge.services.api_keys import IssuedKey

# Constraints the services check, stated in the schema too, so a request the schema calls
# valid is one the service accepts (names are stripped first: one non-space is needed).
# Python's whitespace, which the services strip (JSON Schema's `\s` is narrower)
_WS = r"\s\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NON_BLANK = rf"[^{_WS}]"  # at least one character that is not whitespace
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NON_BLANK)]
Email = Annotated[str, Field(
    min_length=3, max_length=320, pattern=rf"^[{_WS}]*[^@{_WS}]+@[^@{_WS}]+\.[^@{_WS}]+[{_WS}]*$",
)]

# what a value that does not match each pattern is told (not the pattern itself)
PATTERN_REASONS: dict[str, str] = {NON_BLANK: "must not be empty"}

# the vocabularies of query parameters and fields, as enums in the schema
Scope = Literal["records:write", "events:write", "integrations:read", "integrations:write"]
EventStatus = Literal["open", "resolved", "retried", "all"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TenantOut(Output):
    id: str
    name: str
    created_at: datetime


class UserOut(Output):
    id: str
    name: str
    email: str
    notify: bool
    created_at: datetime


class ApiKeyOut(Output):
    id: str
    name: str
    prefix: str
    admin: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    """The only time the full key is shown."""

    key: str

    @classmethod
    def of(cls, issued: IssuedKey) -> ApiKeyCreated:
        base = ApiKeyOut.model_validate(issued.key).model_dump()
        return cls(**base, key=issued.secret)
