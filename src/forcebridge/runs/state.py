"""The sync state of one integration in the database: key -> (payload hash, Salesforce id).

A run never loads the whole table: `StoredState.lookup` answers one source batch at a time
(`sync.diff.PreviousState`), confirmed writes are saved chunk by chunk as Salesforce answers,
and mirror mode walks the table in key order a page at a time. Rows are written only for what
Salesforce confirmed, so the table never claims more than the org holds.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forcebridge.store.db import Database
from forcebridge.store.sync_state import SyncState
from forcebridge.store.types import utcnow
from forcebridge.sync.diff import SyncedState

# SQLite allows 32766 bound parameters; stay far below for IN lists and multi-row inserts.
_IN_CHUNK = 900


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A write Salesforce confirmed: what to remember of the key."""

    key: str
    hash: str
    salesforce_id: str | None


class StoredState:
    """`PreviousState` over the `sync_state` rows of one integration."""

    def __init__(self, db: Database, integration_id: str) -> None:
        self.db = db
        self.integration_id = integration_id

    def lookup(self, keys: Sequence[str]) -> Mapping[str, SyncedState]:
        found: dict[str, SyncedState] = {}
        if not keys:
            return found
        with self.db.session() as session:
            for start in range(0, len(keys), _IN_CHUNK):
                part = list(keys[start : start + _IN_CHUNK])
                rows = session.execute(
                    select(SyncState.key, SyncState.hash, SyncState.salesforce_id).where(
                        SyncState.integration_id == self.integration_id, SyncState.key.in_(part)
                    )
                )
                for key, digest, sf_id in rows:
                    found[key] = SyncedState(digest, sf_id)
        return found


def save(session: Session, integration_id: str, confirmed: Sequence[Confirmed]) -> None:
    """Insert or replace the rows of `confirmed` keys, as one executemany of plain rows.

    A confirmation without an id (an upsert answered 204) keeps the id already stored.
    Rows are bound as parameters (not one literal multi-row statement per chunk): SQLAlchemy
    compiling big VALUES lists cost several times the database's own work.
    """
    if not confirmed:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    stmt = dialect.insert(SyncState)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SyncState.integration_id, SyncState.key],
        set_={
            "hash": stmt.excluded.hash,
            "salesforce_id": func.coalesce(stmt.excluded.salesforce_id, SyncState.salesforce_id),
            "synced_at": stmt.excluded.synced_at,
        },
    )
    rows = [
        {"integration_id": integration_id, "key": c.key, "hash": c.hash,
         "salesforce_id": c.salesforce_id, "synced_at": now}
        for c in confirmed
    ]
    session.execute(stmt, rows)


def remove(session: Session, integration_id: str, keys: Sequence[str]) -> None:
    """Forget keys (their records were deleted from Salesforce)."""
    for start in range(0, len(keys), _IN_CHUNK):
        session.execute(
            delete(SyncState).where(
                SyncState.integration_id == integration_id,
                SyncState.key.in_(list(keys[start : start + _IN_CHUNK])),
            )
        )


def pages(
    db: Database, integration_id: str, size: int = 1000
) -> Generator[list[tuple[str, str | None]], None, None]:
    """Every (key, Salesforce id) in key order, `size` at a time (keyset paging, so rows
    removed between pages do not shift it)."""
    after: str | None = None
    while True:
        query = select(SyncState.key, SyncState.salesforce_id).where(
            SyncState.integration_id == integration_id
        )
        if after is not None:
            query = query.where(SyncState.key > after)
        with db.session() as session:
            page = [(k, i) for k, i in session.execute(query.order_by(SyncState.key).limit(size))]
        if not page:
            return
        yield page
        after = page[-1][0]


def count(db: Database, integration_id: str) -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(SyncState).where(
                    SyncState.integration_id == integration_id
                )
            ) or 0
        )
