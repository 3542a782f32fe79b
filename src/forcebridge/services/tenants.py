"""Tenants: the customers of the product, each with its own users, keys and integrations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge.errors import Conflict, InvalidInput, NotFound
from forcebridge.services import audit, validation
from forcebridge.store.models import Tenant


def create(session: Session, name: str, *, actor: str = "system") -> Tenant:
    name = validation.name(name)
    if session.scalar(select(Tenant).where(Tenant.name == name)) is not None:
        raise Conflict(
            f"a tenant named {name!r} already exists",
            details=[{"field": "name", "reason": "already exists"}],
        )
    tenant = Tenant(name=name)
    session.add(tenant)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="tenant.create",
        target_type="tenant",
        target_id=tenant.id,
        tenant_id=tenant.id,
        detail={"name": name},
    )
    return tenant


def get(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found")
    return tenant


def find(session: Session, id_or_name: str | None) -> Tenant:
    """Look a tenant up by id or by name (what a CLI user types); None means the only tenant,
    for installations that serve one customer."""
    if id_or_name is None:
        return _only(session)
    tenant = session.get(Tenant, id_or_name) or session.scalar(
        select(Tenant).where(Tenant.name == id_or_name)
    )
    if tenant is None:
        raise NotFound(f"tenant {id_or_name!r} not found")
    return tenant


def _only(session: Session) -> Tenant:
    found = list(session.scalars(select(Tenant).order_by(Tenant.name).limit(6)))
    if len(found) == 1:
        return found[0]
    if not found:
        reason = "there is no tenant yet: create one with `forcebridge tenants create NAME`"
    else:
        names = ", ".join(repr(t.name) for t in found[:5]) + (", ..." if len(found) > 5 else "")
        reason = (
            f"several tenants exist ({names}): name one with --tenant or set FORCEBRIDGE_TENANT"
        )
    raise InvalidInput.field("tenant", reason)


def list_all(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.created_at, Tenant.name)))


def delete(session: Session, tenant_id: str, *, actor: str = "system") -> None:
    tenant = get(session, tenant_id)
    audit.record(
        session,
        actor=actor,
        action="tenant.delete",
        target_type="tenant",
        target_id=tenant.id,
        detail={"name": tenant.name},
    )
    session.delete(tenant)
