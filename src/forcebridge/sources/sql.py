"""Records from any database SQLAlchemy reaches: a table or a query, streamed.

Rows come straight from the driver's cursor by `fetchmany` (PostgreSQL: a named, server-side
cursor; SQLite steps its cursor lazily; other databases: SQLAlchemy's `yield_per`), so memory
holds one batch whatever the table size. Every failure to
reach or read the database becomes a `SourceError` naming the database (password hidden) and
the reason.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from sqlalchemy import MetaData, Table, create_engine, select, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.sql import Executable, Select

from forcebridge.sources.base import (
    DEFAULT_BATCH_SIZE,
    Batches,
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
    url: SecretStr = Field(description="SQLAlchemy URL; may hold a password, so kept secret.")
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

    def __init__(self, spec: SqlSourceSpec, since: Any = None) -> None:
        self.spec = spec
        self.since = since
        self.highest: Any = None

    @property
    def description(self) -> str:
        what = f"table {self.spec.table}" if self.spec.table else "query"
        return f"SQL {what} on {display_url(self.spec.url.get_secret_value())}"

    def _fail(self, reason: str) -> SourceError:
        secret = self._password()
        if secret:
            reason = reason.replace(secret, "***")
        return SourceError(f"{self.description}: {reason}")

    def _password(self) -> str | None:
        try:
            return make_url(self.spec.url.get_secret_value()).password
        except ArgumentError:
            return None

    def _url(self) -> URL:
        try:
            url = make_url(self.spec.url.get_secret_value())
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
        try:
            with engine.connect() as conn:
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
            raise self._fail(str(orig or exc).strip().splitlines()[0]) from None
        except dbapi_error as exc:
            raise self._fail(str(exc).strip().splitlines()[0]) from None
        finally:
            engine.dispose()

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
        def position(column: str, role: str) -> int:
            if column not in keys:
                raise self._fail(f"no {role} column {column!r} (columns: {', '.join(keys)})")
            return keys.index(column)

        key_at = position(self.spec.key_column, "key")
        account = self.spec.account_column
        return key_at, position(account, "account-id") if account else None
