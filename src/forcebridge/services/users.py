"""Users of a tenant: they receive notifications and, with a password, sign into the console.

Passwords are kept as argon2id hashes (argon2-cffi's defaults). A console email must be unique
across tenants, since signing in names no tenant.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge.errors import Conflict, InvalidInput, NotFound
from forcebridge.services import audit, lookup, validation
from forcebridge.store.console import ConsoleSession
from forcebridge.store.models import User

MIN_PASSWORD_LENGTH = 10
hasher = PasswordHasher()


def create(
    session: Session,
    tenant_id: str,
    name: str,
    email: str,
    *,
    notify: bool = True,
    admin: bool = False,
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
    user = User(tenant_id=tenant_id, name=name, email=email, notify=notify, admin=admin)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.id,
        tenant_id=tenant_id,
        detail={"email": email, "admin": admin},
    )
    return user


def get(session: Session, tenant_id: str, user_id: str) -> User:
    """A user of the tenant by id, email or name."""
    return lookup.one(session, User, tenant_id, user_id, what="user", keys=("email", "name"))


def find(session: Session, tenant_id: str, ref: str) -> User:
    """A user of the tenant by id or email."""
    user = session.get(User, ref)
    if user is None or user.tenant_id != tenant_id:
        user = session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.email == ref.strip().lower())
        )
    if user is None:
        raise NotFound(f"user {ref} not found")
    return user


def set_password(
    session: Session, tenant_id: str, ref: str, password: str, *, actor: str = "system"
) -> User:
    """Give a user console access (or a new password); their other sessions end."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput.field(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    user = find(session, tenant_id, ref)
    elsewhere = session.scalar(
        select(User).where(
            User.email == user.email, User.id != user.id, User.password_hash.is_not(None)
        )
    )
    if elsewhere is not None:
        raise Conflict(
            f"{user.email} already signs into the console for another tenant",
            details=[{"field": "email", "reason": "signs in for another tenant"}],
        )
    user.password_hash = hasher.hash(password)
    for old in session.scalars(select(ConsoleSession).where(ConsoleSession.user_id == user.id)):
        session.delete(old)
    audit.record(
        session,
        actor=actor,
        action="user.set_password",
        target_type="user",
        target_id=user.id,
        tenant_id=tenant_id,
    )
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
