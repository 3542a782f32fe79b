"""The sync state of one integration in one org: key -> (payload hash, Salesforce id).

A run never loads the whole table: `StoredState.raw_hashes` answers one source batch at a
time with the raw hashes it holds, `lookup` the full state of the batch's changed keys
(`sync.diff.PreviousState`), confirmed writes are saved chunk by chunk as Salesforce answers,
and mirror mode walks the table in key order a page at a time. Rows are written only for what
Salesforce confirmed, so the table never claims more than the org holds; every row carries
the id of the org that confirmed it, and a run reads and writes only its org's rows.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from functools import partial
from itertools import repeat
from operator import add, itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.orm import Session

from forcebridge.store.db import Database
from forcebridge.store.sync_state import SyncState
from forcebridge.store.types import utcnow
from forcebridge.sync.diff import SyncedState
from forcebridge.sync.raw import StoredHashes

# SQLite allows 32766 bound parameters; stay far below for IN lists and multi-row inserts.
_IN_CHUNK = 900
_LOOKUP_CHUNK = 5000  # one query per source batch of the default size
_LOOKUP_SQL = (
    "SELECT \"key\", hash, salesforce_id, raw_hash, field_digests FROM sync_state "
    "WHERE org_id = {p} "
    "AND integration_id = "
)
_HASHES_RANGE = (
    "SELECT count(*), group_concat(raw_hash, ',') FROM (SELECT raw_hash FROM sync_state "
    'WHERE integration_id = ? AND org_id = ? AND "key" >= ? AND "key" <= ? '
    'ORDER BY "key" LIMIT ?)'
)
_HASHES_IN = (
    "SELECT count(*), group_concat(raw_hash, ',') FROM sync_state "
    'WHERE integration_id = ? AND org_id = ? AND "key" IN ({keys})'
)
_HASHES_PG = (
    "SELECT count(*), string_agg(raw_hash, ',') FROM sync_state "
    'WHERE integration_id = %s AND org_id = %s AND "key" = ANY(%s)'
)
# keys in ascending order: one range scan of the primary key, LIMITed to this many rows per
# key asked (a sparse source would otherwise drag in the rows between its keys)
_RANGE_SLACK = 2
_TABLE: Table = SyncState.__table__  # type: ignore[assignment]
_KEY, _STATE = itemgetter(0), itemgetter(slice(1, None))  # a `_LOOKUP_SQL` row's key, state
_AS_STATE = partial(tuple.__new__, SyncedState)


class Confirmed(NamedTuple):
    """A write Salesforce confirmed: what to remember of the key. A tuple (one is made per
    record written; `save` sends it to the driver as it is, with the row's common values
    appended)."""

    key: str
    hash: str
    salesforce_id: str | None
    raw_hash: str | None = None
    digests: bytes | None = None  # `Compared.stamp` of the payload written


class StoredState:
    """`PreviousState` over the `sync_state` rows of one integration in one org."""

    def __init__(self, db: Database, integration_id: str, org_id: str) -> None:
        self.db = db
        self.integration_id = integration_id
        self.org_id = org_id

    def lookup(self, keys: Sequence[str]) -> Mapping[str, SyncedState]:
        """One plain driver query per `_LOOKUP_CHUNK` keys (bound parameters, all rows
        fetched at once): SQLAlchemy rendering an expanding IN list and building a Row per
        result cost several times the database's own work. On SQLite the answer may also
        hold keys between those asked (`_sqlite_lookup`)."""
        found: dict[str, SyncedState] = {}
        if not keys:
            return found
        postgres = self.db.engine.dialect.name == "postgresql"
        with self.db.engine.connect() as conn:
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                part = list(keys[start : start + _LOOKUP_CHUNK])
                if postgres:
                    sql = _LOOKUP_SQL.format(p="%s") + "%s AND \"key\" = ANY(%s)"
                    params: tuple[Any, ...] = (self.org_id, self.integration_id, part)
                    rows: Sequence[Any] = conn.exec_driver_sql(sql, params).cursor.fetchall()
                else:
                    rows = self._sqlite_lookup(conn, part)
                # in C: a SyncedState per row without a Python call each
                found.update(zip(map(_KEY, rows), map(_AS_STATE, map(_STATE, rows)), strict=True))
        return found

    def _sqlite_lookup(self, conn: Connection, keys: list[str]) -> Sequence[Any]:
        """As `_sqlite_hashes`: keys in ascending order are one range of the primary key
        (rows of keys not asked may come too), unless the range holds many more rows."""
        if _ascending(keys):
            limit = len(keys) * _RANGE_SLACK
            rows = conn.exec_driver_sql(
                _LOOKUP_SQL.format(p="?") + '? AND "key" >= ? AND "key" <= ? '
                'ORDER BY "key" LIMIT ?',
                (self.org_id, self.integration_id, keys[0], keys[-1], limit)).cursor.fetchall()
            if len(rows) < limit:
                return rows
        return conn.exec_driver_sql(
            _LOOKUP_SQL.format(p="?") + f"? AND \"key\" IN ({', '.join('?' * len(keys))})",
            (self.org_id, self.integration_id, *keys)).cursor.fetchall()

    def raw_hashes(self, keys: Sequence[str]) -> StoredHashes:
        """The raw hashes stored for `keys`, joined by the database into one string per
        chunk (hex, so a comma separates them): no Python object per stored row.

        On SQLite a chunk of keys in ascending order (a table read in key order, the common
        case) is one range of the primary key instead of an IN list, half the cost; a range
        that holds many more rows than keys asked (a sparse source) falls back to the IN
        list. PostgreSQL compares text by its collation, not code points: always `= ANY`.
        """
        hashes: set[str] = set()
        any_stored = False
        postgres = self.db.engine.dialect.name == "postgresql"
        with self.db.engine.connect() as conn:
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                part = keys[start : start + _LOOKUP_CHUNK]
                if postgres:
                    count, joined = _counted(conn.exec_driver_sql(
                        _HASHES_PG, (self.integration_id, self.org_id, list(part))))
                else:
                    count, joined = self._sqlite_hashes(conn, part)
                any_stored = any_stored or count > 0
                if joined:
                    hashes.update(joined.split(","))
        return StoredHashes(frozenset(hashes), any_stored)

    def _sqlite_hashes(self, conn: Connection, keys: Sequence[str]) -> tuple[int, str | None]:
        if _ascending(keys):
            limit = len(keys) * _RANGE_SLACK
            count, joined = _counted(conn.exec_driver_sql(
                _HASHES_RANGE, (self.integration_id, self.org_id, keys[0], keys[-1], limit)))
            if count < limit:
                return count, joined
        return _counted(conn.exec_driver_sql(
            _HASHES_IN.format(keys=", ".join("?" * len(keys))),
            (self.integration_id, self.org_id, *keys)))


def _counted(result: CursorResult[Any]) -> tuple[int, str | None]:
    """(rows counted, raw hashes joined by commas) of a `_HASHES_*` query."""
    row = result.cursor.fetchone() if result.cursor is not None else None
    return (int(row[0]), row[1]) if row else (0, None)


def _ascending(keys: Sequence[str]) -> bool:
    """In code-point order (SQLite's binary collation); sorting keys already in order is one
    C pass."""
    return sorted(keys) == list(keys)


_REFRESH_SQL = (
    "UPDATE sync_state SET raw_hash = {p} WHERE integration_id = {p} AND org_id = {p} "
    'AND "key" = {p}'
)
# the columns in `Confirmed`'s order, then those every row of a save shares
_SAVE_SQL = (
    'INSERT INTO sync_state ("key", hash, salesforce_id, raw_hash, field_digests, '
    "integration_id, org_id, synced_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) "
    'ON CONFLICT (integration_id, org_id, "key") DO UPDATE SET hash = excluded.hash, '
    "salesforce_id = COALESCE(excluded.salesforce_id, sync_state.salesforce_id), "
    "synced_at = excluded.synced_at, raw_hash = excluded.raw_hash, "
    "field_digests = excluded.field_digests"
)


def save(
    session: Session, integration_id: str, org_id: str, confirmed: Sequence[Confirmed]
) -> None:
    """Insert or replace the rows of `confirmed` keys (`_executemany`).

    A confirmation without an id (an upsert answered 204) keeps the id already stored. The
    one timestamp is converted once by the column type's bind processor (as the ORM would).
    """
    if not confirmed:
        return
    dialect = session.connection().dialect
    stamp: Any = utcnow()
    # the dialect's own processor: SQLite stores the text SQLAlchemy writes (not the driver's
    # adapter, deprecated and per row)
    process = _TABLE.c.synced_at.type.dialect_impl(dialect).bind_processor(dialect)
    if process is not None:
        stamp = process(stamp)
    # each row is the Confirmed tuple + the shared values, concatenated in C
    shared = (integration_id, org_id, stamp)
    _executemany(session, _SAVE_SQL, list(map(add, confirmed, repeat(shared))))


def refresh(
    session: Session, integration_id: str, org_id: str, raw: Sequence[tuple[str, str]]
) -> None:
    """Store new raw-row hashes of keys whose payload did not change (sync.prepare); after a
    mapping change every row of a run comes here, so it is one `_executemany` too."""
    if raw:
        _executemany(session, _REFRESH_SQL, [(r, integration_id, org_id, k) for k, r in raw])


def _executemany(session: Session, template: str, rows: list[tuple[Any, ...]]) -> None:
    """`template` (markers `{p}`) over `rows` as one driver executemany on the session's own
    connection, in its transaction: SQLAlchemy processing each row's parameters cost more
    than the database's own work."""
    conn = session.connection()
    marker = "%s" if conn.dialect.name == "postgresql" else "?"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(template.format(p=marker), rows)
    finally:
        cursor.close()


def remove(session: Session, integration_id: str, org_id: str, keys: Sequence[str]) -> None:
    """Forget keys (their records were deleted from Salesforce)."""
    for start in range(0, len(keys), _IN_CHUNK):
        session.execute(
            delete(SyncState).where(
                SyncState.integration_id == integration_id,
                SyncState.org_id == org_id,
                SyncState.key.in_(list(keys[start : start + _IN_CHUNK])),
            )
        )


def pages(
    db: Database, integration_id: str, org_id: str, size: int = 1000
) -> Generator[list[tuple[str, str | None]], None, None]:
    """Every (key, Salesforce id) in key order, `size` at a time (keyset paging, so rows
    removed between pages do not shift it)."""
    after: str | None = None
    while True:
        query = select(SyncState.key, SyncState.salesforce_id).where(
            SyncState.integration_id == integration_id, SyncState.org_id == org_id
        )
        if after is not None:
            query = query.where(SyncState.key > after)
        with db.session() as session:
            page = [(k, i) for k, i in session.execute(query.order_by(SyncState.key).limit(size))]
        if not page:
            return
        yield page
        after = page[-1][0]
