"""Posts received by an inbound-form hook, stored before they are sent to Salesforce.

A post keeps the values that will be sent (after mapping) and the keys that were ignored; it
is `pending` until Salesforce created the record (`created`, with its id) or rejected it
(`rejected`, with an open event), and a rejected post can be replayed once the mapping is fixed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import IdColumn, new_id, utcnow


class FormPost(Base):
    __tablename__ = "form_posts"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    received: Mapped[dict[str, Any]] = mapped_column(JSON)
    ignored: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    salesforce_id: Mapped[str | None] = mapped_column(String(18), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class HookSignature(Base):
    """A signature a signed hook accepted, kept while its timestamp is within the tolerance:
    the same signature again is a replay and is refused (the primary key makes that hold
    across processes)."""

    __tablename__ = "hook_signatures"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    signed_at: Mapped[datetime] = mapped_column(index=True)
