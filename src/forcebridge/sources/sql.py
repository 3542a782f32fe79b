"""Records from a granted SQL data source: a table or a query, streamed, read-only.

The spec names the data source; the database it stands for (`SqlDatabase`: URL, role,
timeout, tables) comes from the operator's registration, never from the tenant. Every read
is one read-only transaction with a statement timeout: on PostgreSQL `SET TRANSACTION READ
ONLY`, `statement_timeout` and, when the operator named one, `SET LOCAL ROLE`; on SQLite
`PRAGMA query_only`, an authorizer refusing ATTACH, and a progress handler as the timeout.

Rows come straight from the driver's cursor by `fetchmany` (PostgreSQL: a named, server-side
cursor; SQLite steps its cursor lazily; other databases: SQLAlchemy's `yield_per`), so memory
holds one batch whatever the table size. Every failure to
reach or read the database becomes a `SourceError` naming the database (password hidden) and
the reason.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from sqlalchemy import MetaData, Table, create_engine, event, select, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.sql import Executable, Select

from forcebridge.sources.base import (
    DEFAULT_BATCH_SIZE,
    Batches,
    MissingColumn,
    SourceError,
    SourceRecord,
    key_text,
)

# drivers whose own cursor is read directly (psycopg's named cursors stream server-side);
# other drivers go through SQLAlchemy's `yield_per`
_RAW_DRIVERS = frozenset({"pysqlite", "psycopg", "psycopg2"})


def _processed(row: tuple[Any, ...], processors: list[tuple[int, Any]]) -> list[Any]:
    values = list(row)
    for i, proc in processors:
        values[i] = proc(values[i])
    return values


class SqlSourceSpec(BaseModel):
    """A table or a query, the key column and (optionally) the account-id column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["sql"] = "sql"
    name: str = Field(min_length=1, max_length=200,
                      description="A SQL data source the operator granted to the tenant.")
    table: str | None = Field(default=None, description="Table name, optionally schema.table.")
    query: str | None = None
    key_column: str = Field(min_length=1)
    account_column: str | None = None
    cursor_column: str | None = Field(
        default=None, min_length=1,
        description="A column whose value grows whenever a row changes (an updated-at time, a "
        "version number). Set, a run reads only the rows whose value is at least the highest "
        "one the last complete run read, and the rows where it is empty; rows changed without "
        "it growing are not seen until the mapping or the source changes.",
    )

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlSourceSpec:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table or query")
        return self


DEFAULT_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class SqlDatabase:
    """A granted SQL data source as the operator registered it: never the tenant's to set."""

    name: str
    url: SecretStr
    role: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    tables: tuple[str, ...] = field(default=())


class _Deadline:
    """SQLite's statement timeout: its progress handler interrupts a step past the deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def restart(self) -> None:
        self.at = time.monotonic() + self.seconds

    def __call__(self) -> int:
        return 1 if time.monotonic() > self.at else 0


def _sqlite_authorizer(action: int, arg1: Any, arg2: Any, *_: Any) -> int:
    # query_only refuses writes; an attached file would be read past them
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and str(arg1).lower() in ("query_only", "writable_schema") \
            and arg2 is not None:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def display_url(url: str) -> str:
    """The URL with its password masked; unparseable URLs are not shown at all."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


class SqlSource:
    """Streams a `SqlSourceSpec` as `SourceRecord` batches.

    With a `cursor_column`, `since` (set before reading; None reads every row) limits the read
    to rows whose cursor value is at least it, or empty; `highest` is the largest cursor value
    read so far, as the driver gave it, for the caller to keep as the next run's `since`.
    """

    def __init__(self, spec: SqlSourceSpec, database: SqlDatabase, since: Any = None) -> None:
        self.spec = spec
        self.database = database
        self.since = since
        self.highest: Any = None
        self._deadline = _Deadline(database.timeout_seconds)

    @property
    def description(self) -> str:
        what = f"table {self.spec.table}" if self.spec.table else "query"
        return f"SQL {what} of data source {self.database.name!r}"

    def _fail(self, reason: str) -> SourceError:
        secret = self._password()
        if secret:
            reason = reason.replace(secret, "***")
        return SourceError(f"{self.description}: {reason}")

    def _password(self) -> str | None:
        try:
            return make_url(self.database.url.get_secret_value()).password
        except ArgumentError:
            return None

    def _url(self) -> URL:
        try:
            url = make_url(self.database.url.get_secret_value())
        except ArgumentError:
            raise self._fail("not a valid SQLAlchemy URL") from None
        db = url.database
        if url.get_backend_name() == "sqlite" and db and db != ":memory:" \
                and not db.startswith("file:") and not Path(db).is_file():
            raise self._fail(f"database file {db} does not exist")
        return url

    def _statement(self, conn: Connection) -> Executable:
        if self.spec.query is not None:
            # the query is the user's SQL, not a template: a colon is never a bind parameter
            return text(self.spec.query.replace(":", "\\:"))
        assert self.spec.table is not None
        schema, _, name = self.spec.table.rpartition(".")
        try:
            table = Table(name, MetaData(), schema=schema or None, autoload_with=conn)
        except NoSuchTableError:
            raise self._fail(f"table {self.spec.table} does not exist") from None
        return select(table)

    def columns(self) -> list[str]:
        """The result's column names; the rows are not fetched."""
        batches = self._rows(1, columns_only=True)
        try:
            first = next(batches)
        finally:
            batches.close()
        return list(first[0].values) if first else []

    def batches(self, size: int = DEFAULT_BATCH_SIZE) -> Batches:
        return self._rows(size)

    def _rows(self, size: int, columns_only: bool = False) -> Batches:
        url = self._url()
        try:
            engine = create_engine(url)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise self._fail(f"cannot use this URL: {exc}") from None
        dbapi_error: Any = getattr(engine.dialect.loaded_dbapi, "Error", SQLAlchemyError)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", self._sqlite_read_only)
        try:
            with engine.connect() as conn:
                self._read_only(conn)
                if engine.dialect.driver in _RAW_DRIVERS:
                    chunks = self._driver_rows(conn, size)
                else:
                    chunks = self._result_rows(conn, size)
                try:
                    keys = next(chunks)
                    key_at, account_at = self._positions(keys)
                    if columns_only:
                        yield [SourceRecord(None, None, dict.fromkeys(keys), 0)]
                        return
                    line = 0
                    # one comprehension per batch, `key_text` inlined for text keys and the row
                    # kept as the driver gave it (SourceRecord.values builds the dict if asked):
                    # the hot path of a re-sync
                    for part in chunks:
                        if account_at is None:
                            batch = [
                                SourceRecord(
                                    k.strip() or None if type(k := row[key_at]) is str
                                    else key_text(k),
                                    None, None, n, row, keys)
                                for n, row in enumerate(part, line + 1)
                            ]
                        else:
                            batch = [
                                SourceRecord(
                                    k.strip() or None if type(k := row[key_at]) is str
                                    else key_text(k),
                                    a.strip() or None if type(a := row[account_at]) is str
                                    else key_text(a),
                                    None, n, row, keys)
                                for n, row in enumerate(part, line + 1)
                            ]
                        line += len(part)
                        yield batch
                finally:
                    chunks.close()  # the cursor closes before the connection
        except SourceError:
            raise
        except SQLAlchemyError as exc:
            orig: Any = getattr(exc, "orig", None)
            raise self._fail(self._reason(orig or exc)) from None
        except dbapi_error as exc:
            raise self._fail(self._reason(exc)) from None
        finally:
            engine.dispose()

    def _reason(self, exc: BaseException) -> str:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if reason == "interrupted" or "statement timeout" in reason:
            return (f"the read took longer than the data source's statement timeout "
                    f"({self.database.timeout_seconds:g} s)")
        return reason

    def _sqlite_read_only(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")
        dbapi_connection.set_authorizer(_sqlite_authorizer)
        dbapi_connection.set_progress_handler(self._deadline, 1000)

    def _read_only(self, conn: Connection) -> None:
        """Start the read-only transaction every read runs in (SQLite: set on connect)."""
        self._deadline.restart()
        if conn.dialect.name != "postgresql":
            return
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        millis = max(1, int(self.database.timeout_seconds * 1000))
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {millis}")
        if self.database.role:
            role = conn.dialect.identifier_preparer.quote(self.database.role)
            conn.exec_driver_sql(f"SET LOCAL ROLE {role}")

    def _driver_rows(self, conn: Connection, size: int) -> Generator[Any, None, None]:
        """The column names, then lists of row tuples, read straight from the driver's cursor
        (`fetchmany`): a SQLAlchemy Result costs several times the driver per row.

        PostgreSQL reads through a named (server-side) cursor, so memory holds one batch;
        SQLite steps its cursor lazily. A table's column types convert values as SQLAlchemy
        would (dates, decimals on SQLite); a query's values come as the driver gives them.
        """
        statement = self._statement(conn)
        dialect = conn.dialect
        types: list[Any] = []
        if isinstance(statement, Select):
            sql = str(statement.compile(dialect=dialect))
            types = [col.type.dialect_impl(dialect) for col in statement.selected_columns]
        else:
            assert self.spec.query is not None
            sql = self.spec.query
        raw: Any = conn.connection.dbapi_connection
        postgres = dialect.name == "postgresql"
        cursor = raw.cursor(name=f"forcebridge_source_{id(self):x}") if postgres else raw.cursor()
        try:
            if self._filtering:
                marker = "?" if dialect.paramstyle == "qmark" else "%s"
                escaped = sql.replace("%", "%%") if marker == "%s" else sql
                cursor.execute(self._since_sql(escaped, dialect, marker), (self.since,))
            else:
                cursor.execute(sql)  # no parameters: the driver takes the SQL as written
            first = cursor.fetchmany(size)
            description = cursor.description
            names = [d[0] for d in description]
            yield names
            processors = [
                (i, proc) for i, (kind, d) in enumerate(zip(types, description, strict=False))
                if (proc := kind.result_processor(dialect, d[1])) is not None
            ]
            at = self._cursor_at(names)
            part = first
            while part:
                if at is not None:  # as the driver gave it: `since` is bound back the same way
                    self._track(part, at)
                if processors:
                    part = [_processed(row, processors) for row in part]
                yield part
                self._deadline.restart()
                part = cursor.fetchmany(size)
        finally:
            cursor.close()

    @property
    def _filtering(self) -> bool:
        return self.spec.cursor_column is not None and self.since is not None

    def _since_sql(self, sql: str, dialect: Any, marker: str) -> str:
        """`sql` narrowed to rows whose cursor value is at least `since`, or empty (equal
        values are read again: rows written in the same instant as the last one read)."""
        column = dialect.identifier_preparer.quote(self.spec.cursor_column)
        # the user's own SQL, a dialect-quoted column name and a bound value
        inner = sql.rstrip().rstrip(";")  # a query may end with one; a subquery may not
        return (f"SELECT * FROM ({inner}) AS forcebridge_source "  # noqa: S608
                f"WHERE {column} >= {marker} OR {column} IS NULL")

    def _cursor_at(self, names: list[str]) -> int | None:
        column = self.spec.cursor_column
        if column is None:
            return None
        if column not in names:
            raise self._fail(f"no cursor column {column!r} (columns: {', '.join(names)})")
        return names.index(column)

    def _track(self, rows: list[Any], at: int) -> None:
        try:
            top = max((v for row in rows if (v := row[at]) is not None), default=None)
            if top is not None and (self.highest is None or top > self.highest):
                self.highest = top
        except TypeError:
            raise self._fail(f"cursor column {self.spec.cursor_column!r} holds values that "
                             "cannot be compared with each other (mixed types)") from None

    def _result_rows(self, conn: Connection, size: int) -> Generator[Any, None, None]:
        """As `_driver_rows`, through a SQLAlchemy Result (databases other than SQLite and
        PostgreSQL: `yield_per` picks each dialect's server-side cursor)."""
        statement = self._statement(conn)
        if self._filtering:
            inner = (str(statement.compile(dialect=conn.dialect)) if isinstance(statement, Select)
                     else str(statement))
            statement = text(self._since_sql(inner.replace(":", "\\:"), conn.dialect,
                                             ":forcebridge_since"))
            statement = statement.bindparams(forcebridge_since=self.since)
        result = conn.execution_options(yield_per=size).execute(statement)
        names = list(result.keys())
        yield names
        at = self._cursor_at(names)
        for part in result.partitions(size):
            rows = [tuple(row) for row in part]
            if at is not None:
                self._track(rows, at)
            yield rows

    def _positions(self, keys: list[str]) -> tuple[int, int | None]:
        def position(column: str, role: str, field: str) -> int:
            if column not in keys:
                reason = self._fail(f"no {role} column {column!r} (columns: {', '.join(keys)})")
                raise MissingColumn(reason.message, field=f"source.{field}")
            return keys.index(column)

        key_at = position(self.spec.key_column, "key", "key_column")
        account = self.spec.account_column
        if self.spec.cursor_column:
            position(self.spec.cursor_column, "cursor", "cursor_column")
        return key_at, position(account, "account-id", "account_column") if account else None
