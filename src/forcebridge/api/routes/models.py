"""Pydantic shapes shared by the routers: strict input (unknown fields refused), plain output."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from forcebridge.services.api_keys import IssuedKey


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
