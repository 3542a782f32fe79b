"""The sync state of one integration in the database: key -> (payload hash, Salesforce id).

A run never loads the whole table: `StoredState.lookup` answers one source batch at a time
(`sync.diff.PreviousState`), confirmed writes are saved chunk by chunk as Salesforce answers,
and mirror mode walks the table in key order a page at a time. Rows are written only for what
Salesforce confirmed, so the table never claims more than the org holds.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forcebridge.store.db import Database
from forcebridge.store.sync_state import SyncState
from forcebridge.store.types import utcnow
from forcebridge.sync.diff import SyncedState

# SQLite allows 32766 bound parameters; stay far below for IN lists and multi-row inserts.
_IN_CHUNK = 900
_LOOKUP_CHUNK = 5000  # one query per source batch of the default size
_LOOKUP_SQL = (
    "SELECT \"key\", hash, salesforce_id, raw_hash FROM sync_state WHERE integration_id = "
)
_TABLE: Table = SyncState.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A write Salesforce confirmed: what to remember of the key."""

    key: str
    hash: str
    salesforce_id: str | None
    raw_hash: str | None = None


class StoredState:
    """`PreviousState` over the `sync_state` rows of one integration."""

    def __init__(self, db: Database, integration_id: str) -> None:
        self.db = db
        self.integration_id = integration_id

    def lookup(self, keys: Sequence[str]) -> Mapping[str, SyncedState]:
        """One plain driver query per `_LOOKUP_CHUNK` keys (bound parameters, all rows
        fetched at once): SQLAlchemy rendering an expanding IN list and building a Row per
        result cost several times the database's own work."""
        found: dict[str, SyncedState] = {}
        if not keys:
            return found
        postgres = self.db.engine.dialect.name == "postgresql"
        with self.db.engine.connect() as conn:
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                part = list(keys[start : start + _LOOKUP_CHUNK])
                if postgres:
                    sql = _LOOKUP_SQL + "%s AND \"key\" = ANY(%s)"
                    params: tuple[Any, ...] = (self.integration_id, part)
                else:
                    sql = f"{_LOOKUP_SQL}? AND \"key\" IN ({', '.join('?' * len(part))})"
                    params = (self.integration_id, *part)
                rows = conn.exec_driver_sql(sql, params).cursor.fetchall()
                for key, digest, sf_id, raw in rows:
                    found[key] = SyncedState(digest, sf_id, raw)
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
    t = _TABLE.c
    stmt = dialect.insert(_TABLE)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.integration_id, t.key],
        set_={
            "hash": stmt.excluded.hash,
            "salesforce_id": func.coalesce(stmt.excluded.salesforce_id, t.salesforce_id),
            "synced_at": stmt.excluded.synced_at,
            "raw_hash": stmt.excluded.raw_hash,
        },
    )
    rows = [
        {"integration_id": integration_id, "key": c.key, "hash": c.hash,
         "salesforce_id": c.salesforce_id, "synced_at": now, "raw_hash": c.raw_hash}
        for c in confirmed
    ]
    # Core, not the ORM's bulk path: no per-row ORM bookkeeping
    session.connection().execute(stmt, rows)


def refresh(session: Session, integration_id: str, raw: Sequence[tuple[str, str]]) -> None:
    """Store new raw-row hashes of keys whose payload did not change (sync.prepare)."""
    if not raw:
        return
    t = _TABLE.c
    stmt = (
        update(_TABLE)
        .where(t.integration_id == bindparam("iid"), t.key == bindparam("k"))
        .values(raw_hash=bindparam("raw"))
    )
    session.connection().execute(
        stmt, [{"iid": integration_id, "k": k, "raw": r} for k, r in raw]
    )


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
