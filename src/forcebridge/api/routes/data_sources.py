"""Data sources: the operator's (admin keys) to register, change and grant; a tenant's key
lists the ones granted to its tenant, never where they are."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from forcebridge.api.auth import Principal, admin, principal, runtime
from forcebridge.api.routes.models import Input
from forcebridge.errors import NotFound
from forcebridge.runtime import Runtime
from forcebridge.services import data_sources
from forcebridge.services.data_sources import DataSourceInput, GrantedSource, SourceView

router = APIRouter(prefix="/sources", tags=["sources"])


class SourceIn(DataSourceInput):
    """A data source, and the tenants (names or ids) to grant it to at once."""

    tenants: list[str] = Field(default_factory=list)


class GrantIn(Input):
    tenant: str = Field(min_length=1, description="The tenant's name or id.")


@router.get("", response_model=list[SourceView | GrantedSource])
def list_sources(
    who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[dict[str, Any]]:
    """Every data source for an admin key; those granted to the key's tenant otherwise."""
    with rt.db.begin() as s:
        if who.admin:
            return [data_sources.operator_view(s, rt, d) for d in data_sources.list_all(s)]
        return [data_sources.tenant_view(d) for d in data_sources.granted(s, who.tenant_id)]


@router.post("", status_code=201, response_model=SourceView)
def create_source(
    body: SourceIn, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    data = DataSourceInput.model_validate(body.model_dump(exclude={"tenants"},
                                                          exclude_unset=True))
    with rt.db.begin() as s:
        source = data_sources.create(rt, s, data, actor=who.actor)
        for tenant in body.tenants:
            data_sources.grant(s, source.id, tenant, actor=who.actor)
        return data_sources.operator_view(s, rt, source)


@router.get("/{ref}", response_model=SourceView | GrantedSource)
def get_source(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.db.begin() as s:
        if who.admin:
            return data_sources.operator_view(s, rt, data_sources.get(s, ref))
        for source in data_sources.granted(s, who.tenant_id):
            if ref in (source.id, source.name) or ref.lower() == source.name.lower():
                return data_sources.tenant_view(source)
        raise NotFound(f"data source {ref!r} not found")


@router.patch("/{ref}", response_model=SourceView)
def update_source(
    ref: str, body: DataSourceInput, who: Principal = Depends(admin),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.db.begin() as s:
        source = data_sources.update(rt, s, ref, body, actor=who.actor)
        return data_sources.operator_view(s, rt, source)


@router.delete("/{ref}", status_code=204)
def delete_source(
    ref: str, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.db.begin() as s:
        data_sources.delete(s, ref, actor=who.actor)
    return Response(status_code=204)


@router.post("/{ref}/grants", status_code=201, response_model=SourceView)
def grant_source(
    ref: str, body: GrantIn, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.db.begin() as s:
        source = data_sources.grant(s, ref, body.tenant, actor=who.actor)
        return data_sources.operator_view(s, rt, source)


@router.delete("/{ref}/grants/{tenant}", response_model=SourceView)
def revoke_source(
    ref: str, tenant: str, force: bool = False, who: Principal = Depends(admin),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Take a grant back; 409 listing the tenant's integrations that use it, unless `force`."""
    with rt.db.begin() as s:
        source = data_sources.revoke(s, ref, tenant, force=force, actor=who.actor)
        return data_sources.operator_view(s, rt, source)
