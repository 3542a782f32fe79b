"""The connections table: how to reach one Salesforce org, secrets sealed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import IdColumn, SealedText, new_id, utcnow


class Connection(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_connections_tenant_name"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(20))
    login_url: Mapped[str] = mapped_column(String(500))
    auth_flow: Mapped[str] = mapped_column(String(30))
    api_version: Mapped[str] = mapped_column(String(10))
    consumer_key: Mapped[str | None] = mapped_column(String(500), default=None)
    consumer_secret: Mapped[str | None] = mapped_column(SealedText, default=None)
    username: Mapped[str | None] = mapped_column(String(320), default=None)
    password: Mapped[str | None] = mapped_column(SealedText, default=None)
    security_token: Mapped[str | None] = mapped_column(SealedText, default=None)
    private_key: Mapped[str | None] = mapped_column(SealedText, default=None)
    certificate: Mapped[str | None] = mapped_column(Text, default=None)
    ca_bundle: Mapped[str | None] = mapped_column(String(1000), default=None)
    refresh_token: Mapped[str | None] = mapped_column(SealedText, default=None)
    pending_state: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    pending_verifier: Mapped[str | None] = mapped_column(SealedText, default=None)
    concurrency: Mapped[int] = mapped_column(Integer, default=5)
    # the share of the org's daily API allocation runs on this connection may use
    api_budget_percent: Mapped[int] = mapped_column(Integer, default=80, server_default="80")
    borrow_from_id: Mapped[str | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(30), default="draft")
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    org_id: Mapped[str | None] = mapped_column(String(18), default=None)
    sf_user_id: Mapped[str | None] = mapped_column(String(18), default=None)
    sf_username: Mapped[str | None] = mapped_column(String(320), default=None)
    instance_url: Mapped[str | None] = mapped_column(String(500), default=None)
    authorized_at: Mapped[datetime | None] = mapped_column(default=None)
    # the org's daily API usage as its last answer reported it (Sforce-Limit-Info)
    api_used: Mapped[int | None] = mapped_column(Integer, default=None)
    api_allocation: Mapped[int | None] = mapped_column(Integer, default=None)
    api_usage_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
