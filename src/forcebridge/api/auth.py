"""Who is calling: an API key (`Authorization: Bearer fbk_...`) resolved to its tenant."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request

from forcebridge.errors import Forbidden, Unauthenticated
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    key_id: str
    admin: bool

    @property
    def actor(self) -> str:
        return f"api_key:{self.key_id}"


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing API key: send 'Authorization: Bearer fbk_...'")
    rt = runtime(request)
    with rt.db.begin() as session:
        key = api_keys.authenticate(session, token.strip())
        return Principal(tenant_id=key.tenant_id, key_id=key.id, admin=key.admin)


def admin(who: Principal = Depends(principal)) -> Principal:
    if not who.admin:
        raise Forbidden("this endpoint needs an admin API key")
    return who
