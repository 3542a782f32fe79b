"""Users of a tenant: they receive notifications and, later, log into the console."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge.errors import Conflict, NotFound
from forcebridge.services import audit, validation
from forcebridge.store.models import User


def create(
    session: Session,
    tenant_id: str,
    name: str,
    email: str,
    *,
    notify: bool = True,
    actor: str = "system",
) -> User:
    name = validation.name(name)
    email = validation.email(email)
    existing = session.scalar(select(User).where(User.tenant_id == tenant_id, User.email == email))
    if existing is not None:
        raise Conflict(
            f"a user with email {email} already exists",
            details=[{"field": "email", "reason": "already exists"}],
        )
    user = User(tenant_id=tenant_id, name=name, email=email, notify=notify)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.id,
        tenant_id=tenant_id,
        detail={"email": email},
    )
    return user


def get(session: Session, tenant_id: str, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        raise NotFound(f"user {user_id} not found")
    return user


def list_all(session: Session, tenant_id: str) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.tenant_id == tenant_id).order_by(User.created_at, User.email)
        )
    )


def update(
    session: Session,
    tenant_id: str,
    user_id: str,
    *,
    name: str | None = None,
    email: str | None = None,
    notify: bool | None = None,
    actor: str = "system",
) -> User:
    user = get(session, tenant_id, user_id)
    if name is not None:
        user.name = validation.name(name)
    if email is not None:
        email = validation.email(email)
        clash = session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.email == email, User.id != user.id)
        )
        if clash is not None:
            raise Conflict(
                f"a user with email {email} already exists",
                details=[{"field": "email", "reason": "already exists"}],
            )
        user.email = email
    if notify is not None:
        user.notify = notify
    audit.record(
        session,
        actor=actor,
        action="user.update",
        target_type="user",
        target_id=user.id,
        tenant_id=tenant_id,
    )
    return user


def delete(session: Session, tenant_id: str, user_id: str, *, actor: str = "system") -> None:
    user = get(session, tenant_id, user_id)
    audit.record(
        session,
        actor=actor,
        action="user.delete",
        target_type="user",
        target_id=user.id,
        tenant_id=tenant_id,
        detail={"email": user.email},
    )
    session.delete(user)


def notification_recipients(session: Session, tenant_id: str) -> list[User]:
    return list(
        session.scalars(select(User).where(User.tenant_id == tenant_id, User.notify.is_(True)))
    )
