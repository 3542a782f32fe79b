"""The `push` source: records the product posts to `/api/v1/integrations/{id}/records`.

Posted records are stored durably (table `pushed_records`, latest post per key wins, see
`services.pushed`) before the post is acknowledged; a run then reads them like any other
source, in key order, one batch at a time. Each batch is its own short query that starts
after the last key read (keyset pagination on the primary key), so memory holds one batch
and no transaction stays open while the run writes to Salesforce.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from forcebridge.sources.base import DEFAULT_BATCH_SIZE, Batches, SourceRecord
from forcebridge.store.db import Database
from forcebridge.store.sync_state import PushedRecord


class PushSourceSpec(BaseModel):
    """Records arrive through the API; `key_column` and `account_column` name their fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["push"] = "push"
    key_column: str = Field(default="id", min_length=1)
    account_column: str | None = None


class PushSource:
    """Streams an integration's pushed records as `SourceRecord` batches, in key order.

    Key order is the database's order of the key column (its collation on PostgreSQL), the
    order of the primary-key index, so each batch is an index range scan. Records pushed or
    removed while a run reads are seen if their key is still ahead of the reader.
    """

    def __init__(self, db: Database, integration_id: str, spec: PushSourceSpec) -> None:
        self.db = db
        self.integration_id = integration_id
        self.spec = spec

    @property
    def description(self) -> str:
        return f"records pushed to integration {self.integration_id}"

    def columns(self) -> list[str] | None:
        """None: pushed records have no fixed set of columns (like JSONL)."""
        return None

    def batches(self, size: int = DEFAULT_BATCH_SIZE) -> Batches:
        if size < 1:
            raise ValueError("batch size must be at least 1")
        return self._batches(size)

    def _batches(self, size: int) -> Batches:
        after: str | None = None
        line = 0
        while True:
            query = select(PushedRecord.key, PushedRecord.account_id, PushedRecord.values).where(
                PushedRecord.integration_id == self.integration_id
            )
            if after is not None:
                query = query.where(PushedRecord.key > after)
            with self.db.begin() as session:
                rows = session.execute(query.order_by(PushedRecord.key).limit(size)).all()
            if not rows:
                return
            batch = []
            for key, account_id, values in rows:
                line += 1
                batch.append(SourceRecord(key, account_id, dict(values or {}), line))
            yield batch
            if len(rows) < size:
                return
            after = rows[-1][0]
