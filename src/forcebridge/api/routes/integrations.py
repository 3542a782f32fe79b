"""Integrations of the calling key's tenant: CRUD, connect and disconnect, enable and disable.

Creating, changing and deleting stay with API keys; an API client token with
`integrations:read` may read them and one with `integrations:write` may enable or disable
them (what a Salesforce-side automation needs). Saves go through
`integration_saves.save`, so the org checks run before anything is committed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from forcebridge.api.auth import Principal, principal, require_scope, runtime
from forcebridge.api.routes.models import Name
from forcebridge.integrations import saves as integration_saves
from forcebridge.runtime import Runtime
from forcebridge.services import integrations
from forcebridge.services.integrations import IntegrationInput, IntegrationView, Kind

router = APIRouter(prefix="/integrations", tags=["integrations"])

_read = require_scope("integrations:read")
_write = require_scope("integrations:write")


class ConnectionChoice(BaseModel):
    """Attach or replace an integration's connection ("add / update credential")."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    connection: str = Field(min_length=1, description="The connection's name or id.")


class IntegrationCreate(IntegrationInput):
    """A new integration: its name, kind and configuration are required."""

    name: Name
    kind: Kind
    config: dict[str, Any] = Field(description=(
        "The kind's configuration. Refused (422, naming each field under `config.`) when it "
        "does not fit the kind, names a source not granted to the tenant, or (with a "
        "connection) does not fit the org's objects and fields."))


class DisableRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


@router.get("")
def list_integrations(
    kind: Kind | None = Query(default=None, description="Only integrations of this kind."),
    who: Principal = Depends(_read),
    rt: Runtime = Depends(runtime),
) -> list[IntegrationView]:
    with rt.db.begin() as s:
        return integrations.listing(s, who.tenant_id, kind)


@router.post("", status_code=201)
async def create_integration(
    body: IntegrationCreate, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> IntegrationView:
    """Create; with a connection, refused (422 `invalid_mapping`) when it cannot work.

    Refused 422 naming the field only for what the schema cannot say: a `config` that does
    not fit its kind, the tenant's sources or the org; a `schedule` that is not a cron
    expression of 5 fields (or given to a kind that is not scheduled); `notify` or
    `connection` naming no user or connection of the tenant. 409 when the name is in use."""
    return await integration_saves.save(rt, who.tenant_id, body, actor=who.actor)


@router.get("/{ref}")
def get_integration(
    ref: str, who: Principal = Depends(_read), rt: Runtime = Depends(runtime)
) -> IntegrationView:
    with rt.db.begin() as s:
        return integrations.show(s, who.tenant_id, ref)


@router.patch("/{ref}")
async def update_integration(
    ref: str,
    body: IntegrationInput,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> IntegrationView:
    """Change the fields given; a changed config or connection is checked against the org."""
    return await integration_saves.save(rt, who.tenant_id, body, ref=ref, actor=who.actor)


@router.delete("/{ref}", status_code=204)
def delete_integration(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.db.begin() as s:
        integrations.delete(s, who.tenant_id, ref, actor=who.actor)
    return Response(status_code=204)


@router.post("/{ref}/connection")
async def connect_integration(
    ref: str,
    body: ConnectionChoice,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> IntegrationView:
    """Add or update the credential: checked against that connection's org first."""
    data = IntegrationInput(connection=body.connection)
    return await integration_saves.save(rt, who.tenant_id, data, ref=ref, actor=who.actor)


@router.delete("/{ref}/connection")
async def disconnect_integration(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> IntegrationView:
    """Disconnect: the integration shows `connected: false` and does not run."""
    data = IntegrationInput(connection="")
    return await integration_saves.save(rt, who.tenant_id, data, ref=ref, actor=who.actor)


@router.post("/{ref}/enable")
def enable_integration(
    ref: str, who: Principal = Depends(_write), rt: Runtime = Depends(runtime)
) -> IntegrationView:
    """Enable; the count of failed runs in a row starts again from 0."""
    with rt.db.begin() as s:
        return integrations.enable(s, who.tenant_id, ref, actor=who.actor)


@router.post("/{ref}/disable")
def disable_integration(
    ref: str,
    body: DisableRequest | None = None,
    who: Principal = Depends(_write),
    rt: Runtime = Depends(runtime),
) -> IntegrationView:
    reason = body.reason if body else None
    with rt.db.begin() as s:
        return integrations.disable(s, who.tenant_id, ref, reason=reason, actor=who.actor)
