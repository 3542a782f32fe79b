"""Connections of the calling key's tenant: CRUD, authorize, test, and the OAuth callback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from forcebridge.api.auth import Principal, principal, runtime
from forcebridge.runtime import Runtime
from forcebridge.services import connections
from forcebridge.services.connections import ConnectionInput

router = APIRouter(prefix="/connections", tags=["connections"])


@router.get("")
def list_connections(
    who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> list[dict[str, Any]]:
    with rt.db.begin() as s:
        return [connections.public_view(s, c) for c in connections.list_all(s, who.tenant_id)]


@router.post("", status_code=201)
def create_connection(
    body: ConnectionInput, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    """Save a connection as a draft; `POST /connections/{id}/authorize` then tests it."""
    with rt.db.begin() as s:
        conn = connections.create(s, rt.vault, who.tenant_id, body, actor=who.actor)
        return connections.public_view(s, conn)


@router.get("/{ref}")
def get_connection(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> dict[str, Any]:
    with rt.db.begin() as s:
        return connections.public_view(s, connections.get(s, who.tenant_id, ref))


@router.patch("/{ref}")
def update_connection(
    ref: str,
    body: ConnectionInput,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    with rt.db.begin() as s:
        conn = connections.update(s, rt.vault, who.tenant_id, ref, body, actor=who.actor)
        return connections.public_view(s, conn)


@router.delete("/{ref}", status_code=204)
def delete_connection(
    ref: str, who: Principal = Depends(principal), rt: Runtime = Depends(runtime)
) -> Response:
    with rt.db.begin() as s:
        connections.delete(s, who.tenant_id, ref, actor=who.actor)
    return Response(status_code=204)
