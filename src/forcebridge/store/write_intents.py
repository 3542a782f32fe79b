"""Creates a run is about to make, kept until Salesforce's answer is recorded.

A create has no natural retry key: if the process dies (or the answer is lost) between
Salesforce creating a record and the sync state recording it, a blind repeat makes a second
record. So a run writes a `write_intents` row per record before it sends a create (a
collections create, or a Bulk API job once the org gave the job its id), and deletes it in
the same transaction that records the outcome. A row still here belongs to a run that never
heard or never kept its answer; the next run resolves it against the org (`runs.intents`)
before it creates anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import utcnow


class WriteIntent(Base):
    __tablename__ = "write_intents"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32))
    hash: Mapped[str] = mapped_column(String(32))
    raw_hash: Mapped[str | None] = mapped_column(String(32), default=None)
    # the external id value the record was sent with: how the org is asked about it
    match_value: Mapped[str | None] = mapped_column(Text, default=None)
    # the Bulk API 2.0 job that carries it; None for a collections create
    job_id: Mapped[str | None] = mapped_column(String(18), default=None)
    # the payload, kept only when there is no external id to find the record by
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
