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

from sqlalchemy import Table, bindparam, delete, select, update
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


_SAVE_SQL = (
    'INSERT INTO sync_state (integration_id, "key", hash, salesforce_id, synced_at, raw_hash) '
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}) "
    'ON CONFLICT (integration_id, "key") DO UPDATE SET hash = excluded.hash, '
    "salesforce_id = COALESCE(excluded.salesforce_id, sync_state.salesforce_id), "
    "synced_at = excluded.synced_at, raw_hash = excluded.raw_hash"
)


def save(session: Session, integration_id: str, confirmed: Sequence[Confirmed]) -> None:
    """Insert or replace the rows of `confirmed` keys, as one driver executemany of tuples.

    A confirmation without an id (an upsert answered 204) keeps the id already stored.
    The statement is plain SQL run on the session's own DBAPI connection (same transaction):
    SQLAlchemy processing each row's parameters cost more than the database's own work. The
    one timestamp is converted once by the column type's bind processor (as the ORM would).
    """
    if not confirmed:
        return
    conn = session.connection()
    dialect = conn.dialect
    stamp: Any = utcnow()
    process = _TABLE.c.synced_at.type.bind_processor(dialect)
    if process is not None:
        stamp = process(stamp)
    marker = "%s" if dialect.name == "postgresql" else "?"
    rows = [(integration_id, c.key, c.hash, c.salesforce_id, stamp, c.raw_hash)
            for c in confirmed]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_SAVE_SQL.format(p=marker), rows)
    finally:
        cursor.close()


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
