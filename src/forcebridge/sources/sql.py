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
    """Streams a `SqlSourceSpec` as `SourceRecord` batches."""

    def __init__(self, spec: SqlSourceSpec) -> None:
        self.spec = spec

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
            cursor.execute(sql)  # no parameters: the driver takes the SQL as written
            first = cursor.fetchmany(size)
            description = cursor.description
            yield [d[0] for d in description]
            processors = [
                (i, proc) for i, (kind, d) in enumerate(zip(types, description, strict=False))
                if (proc := kind.result_processor(dialect, d[1])) is not None
            ]
            part = first
            while part:
                if processors:
                    part = [_processed(row, processors) for row in part]
                yield part
                part = cursor.fetchmany(size)
        finally:
            cursor.close()

    def _result_rows(self, conn: Connection, size: int) -> Generator[Any, None, None]:
        """As `_driver_rows`, through a SQLAlchemy Result (databases other than SQLite and
        PostgreSQL: `yield_per` picks each dialect's server-side cursor)."""
        result = conn.execution_options(yield_per=size).execute(self._statement(conn))
        yield list(result.keys())
        for part in result.partitions(size):
            yield [tuple(row) for row in part]

    def _positions(self, keys: list[str]) -> tuple[int, int | None]:
        def position(column: str, role: str) -> int:
            if column not in keys:
                raise self._fail(f"no {role} column {column!r} (columns: {', '.join(keys)})")
            return keys.index(column)

        key_at = position(self.spec.key_column, "key")
        account = self.spec.account_column
        return key_at, position(account, "account-id") if account else None
