"""API keys: `fbk_<prefix>_<secret>`, shown once; only a SHA-256 hash is stored.

The keys are 256-bit random values, so a plain hash is enough (no slow KDF is needed),
and lookups by hash are one indexed query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge.errors import Unauthenticated
from forcebridge.services import audit, lookup, validation
from forcebridge.store.models import ApiKey
from forcebridge.store.types import utcnow

PREFIX = "fbk_"


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key; `secret` is the full key and is never stored."""

    key: ApiKey
    secret: str

    def __repr__(self) -> str:
        return f"IssuedKey(prefix={self.key.prefix!r}, secret=***)"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create(
    session: Session, tenant_id: str, name: str, *, admin: bool = False, actor: str = "system"
) -> IssuedKey:
    name = validation.name(name)
    prefix = secrets.token_hex(4)
    raw = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(tenant_id=tenant_id, name=name, prefix=prefix, key_hash=hash_key(raw), admin=admin)
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="api_key.create",
        target_type="api_key",
        target_id=key.id,
        tenant_id=tenant_id,
        detail={"prefix": prefix, "admin": admin},
    )
    return IssuedKey(key=key, secret=raw)


def authenticate(session: Session, raw: str) -> ApiKey:
    """Return the live key for `raw`, or raise `Unauthenticated` without saying why in detail."""
    if not raw.startswith(PREFIX):
        raise Unauthenticated("invalid API key")
    digest = hash_key(raw)
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, digest):
        raise Unauthenticated("invalid API key")
    key.last_used_at = utcnow()
    return key


def get(session: Session, tenant_id: str, key_id: str) -> ApiKey:
    """A key of the tenant by id, name or prefix (`fbk_...`)."""
    return lookup.one(session, ApiKey, tenant_id, key_id, what="api key", keys=("name", "prefix"))


def list_all(session: Session, tenant_id: str) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at)
        )
    )


def revoke(session: Session, tenant_id: str, key_id: str, *, actor: str = "system") -> ApiKey:
    key = get(session, tenant_id, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="api_key.revoke",
            target_type="api_key",
            target_id=key.id,
            tenant_id=tenant_id,
        )
    return key
