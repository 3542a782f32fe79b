"""The integrations table: what to sync, publish or receive, for one tenant.

Every kind shares the columns here; what differs per kind lives in `config` (JSON validated by
the kind's pydantic model) plus the sealed secrets a kind needs (a hook's secret).
`running_run_id` is the run lock: set by one conditional UPDATE, so two processes can never
run one integration at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import IdColumn, SealedText, new_id, utcnow


class Integration(Base):
    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_integrations_tenant_name"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    connection_id: Mapped[str | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), default=None, index=True
    )
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    schedule: Mapped[str | None] = mapped_column(String(100), default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    failure_streak: Mapped[int] = mapped_column(Integer, default=0)
    notify_user_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    hook_id: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    hook_secret: Mapped[str | None] = mapped_column(SealedText, default=None)
    next_run_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    running_run_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"Integration(id={self.id!r}, name={self.name!r}, kind={self.kind!r})"
