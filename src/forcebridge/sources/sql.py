"""Records from any database SQLAlchemy reaches: a table or a query, streamed.

Rows come through a server-side cursor (`yield_per`: PostgreSQL uses a named cursor; SQLite
steps its cursor lazily), so memory holds one batch whatever the table size. Every failure to
reach or read the database becomes a `SourceError` naming the database (password hidden) and
the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from sqlalchemy import MetaData, Table, create_engine, select, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.sql import Executable

from forcebridge.sources.base import (
    DEFAULT_BATCH_SIZE,
    Batches,
    SourceError,
    SourceRecord,
    key_text,
)


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
        batches = self._rows(DEFAULT_BATCH_SIZE, columns_only=True)
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
        try:
            with engine.connect() as conn:
                result = conn.execution_options(yield_per=size).execute(self._statement(conn))
                keys = list(result.keys())
                key_at, account_at = self._positions(keys)
                if columns_only:
                    yield [SourceRecord(None, None, dict.fromkeys(keys), 0)]
                    return
                line = 0
                # one comprehension per batch: this loop is the hot path of a re-sync
                for part in result.partitions(size):
                    if account_at is None:
                        batch = [
                            SourceRecord(key_text(row[key_at]), None, dict(zip(keys, row, strict=True)), n)
                            for n, row in enumerate(part, line + 1)
                        ]
                    else:
                        batch = [
                            SourceRecord(key_text(row[key_at]), key_text(row[account_at]),
                                         dict(zip(keys, row, strict=True)), n)
                            for n, row in enumerate(part, line + 1)
                        ]
                    line += len(part)
                    yield batch
        except SourceError:
            raise
        except SQLAlchemyError as exc:
            orig: Any = getattr(exc, "orig", None)
            raise self._fail(str(orig or exc).strip().splitlines()[0]) from None
        finally:
            engine.dispose()

    def _positions(self, keys: list[str]) -> tuple[int, int | None]:
        def position(column: str, role: str) -> int:
            if column not in keys:
                raise self._fail(f"no {role} column {column!r} (columns: {', '.join(keys)})")
            return keys.index(column)

        key_at = position(self.spec.key_column, "key")
        account = self.spec.account_column
        return key_at, position(account, "account-id") if account else None
