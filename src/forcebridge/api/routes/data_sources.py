"""Data sources: the operator's (admin keys) to register, change and grant; a tenant's key
lists the ones granted to its tenant, never where they are."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field, SecretStr

from forcebridge.api.auth import Principal, admin, principal, runtime
from forcebridge.api.routes.models import _WS, PATTERN_REASONS, Input, Name
from forcebridge.runtime import Runtime
from forcebridge.services import data_sources
from forcebridge.services.data_sources import DataSourceInput, GrantedSource, SourceView

router = APIRouter(prefix="/sources", tags=["sources"])


class _SourceIn(Input):
    name: Name
    timeout_seconds: int | None = Field(default=None, ge=1, le=86_400,
                                        description="Bound on each statement or file read.")
    tenants: list[str] = Field(default_factory=list,
                               description="Tenants (names or ids) to grant it to at once.")

    def as_input(self) -> DataSourceInput:
        return DataSourceInput.model_validate(self.model_dump(exclude={"tenants"},
                                                              exclude_unset=True))


class SqlSourceIn(_SourceIn):
    """A database read through SQLAlchemy (PostgreSQL or SQLite, read-only transactions)."""

    kind: Literal["sql"]
    url: SecretStr = Field(description="The database's SQLAlchemy URL; refused (422) when "
                           "its backend is not one forcebridge confines or it is the store.")
    tables: list[str] | None = Field(default=None, description="Only these tables (`table`, "
                                     "`schema.table`, `schema.*`); tenants then cannot query.")
    role: str | None = Field(default=None, max_length=200,
                             description="A PostgreSQL role every read runs as.")


_ABSOLUTE = rf"^[{_WS}]*/"
PATTERN_REASONS[_ABSOLUTE] = "must be an absolute directory path"


class FilesSourceIn(_SourceIn):
    """A directory of CSV and JSONL files on the server."""

    kind: Literal["files"]
    root: str = Field(pattern=_ABSOLUTE, description="An absolute directory path on the "
                      "server; refused (422) when it is not a directory there.")


SourceIn = Annotated[SqlSourceIn | FilesSourceIn, Field(discriminator="kind")]


class GrantIn(Input):
    tenant: str = Field(min_length=1, description="The tenant's name or id.")


@router.get("")
def list_sources(
    who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[SourceView | GrantedSource]:
    """Every data source for an admin key; those granted to the key's tenant otherwise."""
    with rt.db.begin() as s:
        if who.admin:
            return list(data_sources.listing(s, rt))
        return list(data_sources.tenant_listing(s, who.tenant_id))


@router.post("", status_code=201)
def create_source(
    body: SourceIn, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> SourceView:
    """Register a data source. Refused 422 naming the field only for what its schema cannot
    say: a `url` forcebridge cannot confine (another backend, or its own store) or a `root`
    that is not a directory on the server; 409 when the name is in use."""
    with rt.db.begin() as s:
        return data_sources.create(rt, s, body.as_input(), grant_to=body.tenants,
                                   actor=who.actor)


@router.get("/{ref}")
def get_source(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> SourceView | GrantedSource:
    with rt.db.begin() as s:
        if who.admin:
            return data_sources.show(s, rt, ref)
        return data_sources.tenant_show(s, who.tenant_id, ref)


@router.patch("/{ref}")
def update_source(
    ref: str, body: DataSourceInput, who: Principal = Depends(admin),
    rt: Runtime = Depends(runtime),
) -> SourceView:
    with rt.db.begin() as s:
        return data_sources.update(rt, s, ref, body, actor=who.actor)


@router.delete("/{ref}", status_code=204)
def delete_source(
    ref: str, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.db.begin() as s:
        data_sources.delete(s, ref, actor=who.actor)
    return Response(status_code=204)


@router.post("/{ref}/grants", status_code=201)
def grant_source(
    ref: str, body: GrantIn, who: Principal = Depends(admin), rt: Runtime = Depends(runtime)
) -> SourceView:
    with rt.db.begin() as s:
        return data_sources.grant(rt, s, ref, body.tenant, actor=who.actor)


@router.delete("/{ref}/grants/{tenant}")
def revoke_source(
    ref: str, tenant: str, force: bool = False, who: Principal = Depends(admin),
    rt: Runtime = Depends(runtime),
) -> SourceView:
    """Take a grant back; 409 listing the tenant's integrations that use it, unless `force`."""
    with rt.db.begin() as s:
        return data_sources.revoke(rt, s, ref, tenant, force=force, actor=who.actor)
