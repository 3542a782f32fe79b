"""Tenants: admin keys only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from forcebridge.api.auth import Principal, admin, runtime
from forcebridge.api.routes.models import ApiKeyCreated, Input, Name, TenantOut
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, tenants

router = APIRouter(prefix="/tenants", tags=["tenants"])


class TenantIn(Input):
    name: Name


class TenantKeyIn(Input):
    name: Name
    admin: bool = False


@router.get("", response_model=list[TenantOut])
def list_tenants(
    who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> list[TenantOut]:
    with rt.db.begin() as s:
        return [TenantOut.model_validate(t) for t in tenants.list_all(s)]


@router.post("", response_model=TenantOut, status_code=201)
def create_tenant(
    body: TenantIn, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> TenantOut:
    with rt.db.begin() as s:
        return TenantOut.model_validate(tenants.create(s, body.name, actor=who.actor))


@router.get("/{tenant_id}", response_model=TenantOut)
def get_tenant(
    tenant_id: str, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> TenantOut:
    with rt.db.begin() as s:
        return TenantOut.model_validate(tenants.get(s, tenant_id))


@router.delete("/{tenant_id}", status_code=204)
def delete_tenant(
    tenant_id: str, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.db.begin() as s:
        tenants.delete(s, tenant_id, actor=who.actor)
    return Response(status_code=204)


@router.post("/{tenant_id}/api-keys", response_model=ApiKeyCreated, status_code=201)
def create_tenant_key(
    tenant_id: str,
    body: TenantKeyIn,
    who: Principal = Depends(admin),
    rt: Runtime = Depends(runtime),
) -> ApiKeyCreated:
    """Issue a key for another tenant (how an operator hands a tenant its first key)."""
    with rt.db.begin() as s:
        tenants.get(s, tenant_id)
        issued = api_keys.create(s, tenant_id, body.name, admin=body.admin, actor=who.actor)
        return ApiKeyCreated.of(issued)
