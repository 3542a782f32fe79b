"""The console's tables: signed-in sessions and failed sign-ins (for throttling)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import IdColumn, new_id, utcnow


class ConsoleSession(Base):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is kept,
    so a stolen database does not sign anyone in."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInFailure(Base):
    """A failed sign-in, counted per account and per address over a sliding window."""

    __tablename__ = "sign_in_failures"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    account: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
