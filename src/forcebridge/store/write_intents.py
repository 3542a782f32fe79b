"""Creates a run is about to make, kept until Salesforce's answer is recorded.

A create has no natural retry key: if the process dies (or the answer is lost) between
Salesforce creating a record and the sync state recording it, a blind repeat makes a second
record. So before a run sends a write that creates (a collections create of a chunk, or a Bulk
API job once the org gave it its id) it writes one `write_intents` row holding the write's
records, and deletes the row in the transaction that records the answer. A row still here
belongs to a run that never heard or never kept its answer; the next run that reaches the same
org resolves it there (`runs.intents`) before it creates anything. Like the sync state, an
intent belongs to an org: a run reaching another org leaves it for its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import IdColumn, new_id, utcnow


class WriteIntent(Base):
    __tablename__ = "write_intents"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[str] = mapped_column(String(32))
    # the org the write went to: only a run reaching that org can settle it ('' from before
    # intents were kept per org: settled by the next run, whichever org it reaches)
    org_id: Mapped[str] = mapped_column(String(18), default="", server_default="")
    # the Bulk API 2.0 job that carries the records; None for a collections create
    job_id: Mapped[str | None] = mapped_column(String(18), default=None)
    # one [key, payload hash, raw hash, external id value, payload] per record; the payload
    # only when there is no external id value to find the record by (runs.intents)
    records: Mapped[list[list[Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
