"""Recording changes in the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.store.models import AuditEntry


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | None = None,
    tenant_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=log.redact(detail or {}),
        request_id=log.current().get("request_id"),
    )
    session.add(entry)
    return entry


def list_entries(session: Session, tenant_id: str, *, limit: int = 100) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id)
        .order_by(AuditEntry.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
