"""What an entity sync remembers between runs, and the records pushed to it.

`sync_state` holds, per integration, org and source key, the hash of the payload Salesforce last
confirmed, the record's Salesforce id and the hash of the raw source row it came from; it is written only after Salesforce confirmed, so it
never claims more than the org holds. It is a cache of what one org confirmed: the org id
(from the identity call of the run that wrote it) is part of the key, so a connection that
reaches another org, or the same org after a sandbox refresh, starts from empty, and coming
back to an org already synced finds its state again. `pushed_records` is the durable store behind the `push`
source: a posted record is here before the post is acknowledged, the latest post per key wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import utcnow


class SyncState(Base):
    __tablename__ = "sync_state"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hash: Mapped[str] = mapped_column(String(32))
    salesforce_id: Mapped[str | None] = mapped_column(String(18), default=None)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # hash of the raw source row salted with the mapping's fingerprint (sync.diff.raw_hash)
    raw_hash: Mapped[str | None] = mapped_column(String(32), default=None)
    # what was written of the fields reconciliation compares (sync.readback.Compared.stamp)
    field_digests: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class SyncCursor(Base):
    """Where an incremental SQL source left off (`cursor_column`): the highest cursor value the
    last complete run read, valid while `fingerprint` (mapping, describe, source, filters)
    is unchanged."""

    __tablename__ = "sync_cursors"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    value: Mapped[dict[str, Any]] = mapped_column(JSON)  # runs.cursor.encode
    run_id: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PushedRecord(Base):
    __tablename__ = "pushed_records"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(255), default=None)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
