"""Alert channels, the incidents they were told about, and the messages waiting to reach them.

A channel (email, Slack incoming webhook, signed webhook) belongs to one tenant and follows a
set of rules. An *incident* is one rule holding for one subject (an integration, a
connection) as seen by one channel: it opens once, and resolves once when the rule stops
holding. `open_key` is set only while it is open, so the unique index allows one open
incident per channel, rule and subject however many processes evaluate at once.

Messages are an outbox of their own: stored with the incident in one transaction, sent by the
scheduler's alert pass, retried with backoff when a channel fails, never sent from a run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import IdColumn, SealedText, new_id, utcnow


class AlertChannel(Base):
    __tablename__ = "alert_channels"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_alert_channels_tenant_name"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # email, slack, webhook
    # the Slack or webhook URL (a Slack URL is itself a credential), sealed
    url: Mapped[str | None] = mapped_column(SealedText, default=None)
    signing_secret: Mapped[str | None] = mapped_column(SealedText, default=None)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    failed_runs: Mapped[int] = mapped_column(Integer, default=3)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertIncident(Base):
    __tablename__ = "alert_incidents"
    __table_args__ = (
        UniqueConstraint("channel_id", "open_key", name="uq_alert_incidents_open"),
        Index("ix_alert_incidents_channel_opened", "channel_id", "opened_at"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    channel_id: Mapped[str] = mapped_column(ForeignKey("alert_channels.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40))
    subject_name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    open_key: Mapped[str | None] = mapped_column(String(100), default=None)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class AlertMessage(Base):
    __tablename__ = "alert_messages"
    __table_args__ = (Index("ix_alert_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[str] = mapped_column(
        ForeignKey("alert_channels.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("alert_incidents.id", ondelete="CASCADE"), default=None, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # opened, resolved, test
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
