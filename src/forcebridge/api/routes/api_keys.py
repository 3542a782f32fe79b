"""API keys of the calling key's tenant. Creating an admin key needs an admin key."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from forcebridge.api.auth import Principal, principal, runtime
from forcebridge.api.routes.models import ApiKeyCreated, ApiKeyOut, Input, Name
from forcebridge.errors import Forbidden
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys

router = APIRouter(prefix="/api-keys", tags=["api keys"])


class ApiKeyIn(Input):
    name: Name
    admin: bool = False


@router.get("", response_model=list[ApiKeyOut])
def list_keys(
    who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[ApiKeyOut]:
    with rt.db.begin() as s:
        return [ApiKeyOut.model_validate(k) for k in api_keys.list_all(s, who.tenant_id)]


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_key(
    body: ApiKeyIn, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ApiKeyCreated:
    if body.admin and not who.admin:
        raise Forbidden(
            "only an admin key can create an admin key",
            details=[{"field": "admin", "reason": "needs an admin key"}],
        )
    with rt.db.begin() as s:
        return ApiKeyCreated.of(
            api_keys.create(s, who.tenant_id, body.name, admin=body.admin, actor=who.actor)
        )


@router.post("/{key_id}/revoke", response_model=ApiKeyOut)
def revoke_key(
    key_id: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> ApiKeyOut:
    with rt.db.begin() as s:
        return ApiKeyOut.model_validate(api_keys.revoke(s, who.tenant_id, key_id, actor=who.actor))
