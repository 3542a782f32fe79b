"""Records from CSV and JSON Lines files inside a granted file root, read line by line.

The spec names the data source (a directory the operator granted) and a path relative to
it; the file opened is that path resolved inside the root (`sources.confinement.inside`),
handed to the source by whoever located it.

A malformed line stops the source with a `SourceError` naming the file and the line number:
a file that cannot be parsed cannot be trusted to say which records left it, and mirror mode
must never delete on a half-read file. Empty CSV cells are null (configurable).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from forcebridge.sources.base import (
    DEFAULT_BATCH_SIZE,
    Batches,
    MissingColumn,
    SourceError,
    SourceRecord,
    key_text,
)


class CsvSourceSpec(BaseModel):
    """A CSV file with a header row."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["csv"] = "csv"
    name: str = Field(min_length=1, max_length=200,
                      description="A file root the operator granted to the tenant.")
    path: str = Field(min_length=1, description="The file, relative to the root.")
    key_column: str = Field(min_length=1)
    account_column: str | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8-sig"
    empty_as_null: bool = True


class JsonlSourceSpec(BaseModel):
    """A file of one JSON object per line (blank lines skipped)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["jsonl"] = "jsonl"
    name: str = Field(min_length=1, max_length=200,
                      description="A file root the operator granted to the tenant.")
    path: str = Field(min_length=1, description="The file, relative to the root.")
    key_column: str = Field(min_length=1, description="The key's field in each object.")
    account_column: str | None = None


class CsvSource:
    """`spec`'s file, found at `path` (the spec's path resolved inside its root)."""

    def __init__(self, spec: CsvSourceSpec, path: Path) -> None:
        self.spec = spec
        self.path = path

    @property
    def description(self) -> str:
        return f"CSV file {self.spec.path} of data source {self.spec.name!r}"

    def columns(self) -> list[str]:
        """The header row, checked as `batches` checks it."""
        batches = self.batches(1)
        try:
            first = next(batches, [])
        finally:
            batches.close()
        return list(first[0].values) if first else self._header_only()

    def _header_only(self) -> list[str]:
        with open(self.path, encoding=self.spec.encoding, newline="") as handle:
            return next(csv.reader(handle, delimiter=self.spec.delimiter), [])

    def batches(self, size: int = DEFAULT_BATCH_SIZE) -> Batches:
        spec = self.spec
        try:
            handle = open(self.path, encoding=spec.encoding, newline="")
        except OSError as exc:
            raise SourceError(f"{self.description}: cannot open: {exc.strerror}") from None
        reader = csv.reader(handle, delimiter=spec.delimiter, strict=True)
        start = 1
        try:
            with handle:
                header = next(reader, None)
                if not header:
                    raise SourceError(f"{self.description}: empty file, no header row")
                key_at, account_at = _header_positions(header, spec, self.description)
                width, null_empty = len(header), spec.empty_as_null
                batch: list[SourceRecord] = []
                start = reader.line_num + 1
                for row in reader:
                    if not row:
                        start = reader.line_num + 1
                        continue
                    if len(row) != width:
                        raise SourceError(f"{self.description}: malformed CSV line {start}: "
                                          f"{len(row)} fields, the header has {width}")
                    values: dict[str, Any] = (
                        {k: v or None for k, v in zip(header, row, strict=True)}
                        if null_empty else dict(zip(header, row, strict=True))
                    )
                    batch.append(SourceRecord(
                        key_text(row[key_at]),
                        key_text(row[account_at]) if account_at is not None else None,
                        values,
                        start,
                    ))
                    start = reader.line_num + 1
                    if len(batch) >= size:
                        yield batch
                        batch = []
                if batch:
                    yield batch
        except csv.Error as exc:
            raise SourceError(f"{self.description}: malformed CSV line {start}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise SourceError(f"{self.description}: not {spec.encoding} text near line "
                              f"{start}: {exc.reason}") from None


def _header_positions(
    header: list[str], spec: CsvSourceSpec, description: str
) -> tuple[int, int | None]:
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise SourceError(f"{description}: duplicate columns in the header: {duplicates}")

    def position(column: str, role: str, field: str) -> int:
        if column not in header:
            raise MissingColumn(f"{description}: no {role} column {column!r} in the header "
                                f"(columns: {', '.join(header)})", field=f"source.{field}")
        return header.index(column)

    key_at = position(spec.key_column, "key", "key_column")
    account = spec.account_column
    return key_at, position(account, "account-id", "account_column") if account else None


class JsonlSource:
    """`spec`'s file, found at `path` (the spec's path resolved inside its root).

    JSON objects need not share keys, so no save can check the account column; with
    `require_account` (the integration filters by account) an object without it stops the
    read, rather than pass a record whose account no filter could see.
    """

    def __init__(self, spec: JsonlSourceSpec, path: Path, require_account: bool = False) -> None:
        self.spec = spec
        self.path = path
        self.require_account = require_account and spec.account_column is not None

    @property
    def description(self) -> str:
        return f"JSONL file {self.spec.path} of data source {self.spec.name!r}"

    def columns(self) -> list[str] | None:
        """JSON objects need not share keys: no fixed column set."""
        return None

    def batches(self, size: int = DEFAULT_BATCH_SIZE) -> Batches:
        key, account = self.spec.key_column, self.spec.account_column
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise SourceError(f"{self.description}: cannot open: {exc.strerror}") from None
        with handle:
            batch: list[SourceRecord] = []
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    values = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise SourceError(f"{self.description}: bad JSON on line {number}: "
                                      f"{exc.msg}") from None
                if not isinstance(values, dict):
                    raise SourceError(f"{self.description}: line {number} is "
                                      f"{type(values).__name__}, not a JSON object")
                if self.require_account and account not in values:
                    raise MissingColumn(
                        f"{self.description}: line {number} has no account-id field "
                        f"{account!r}, so the integration's account filters cannot be applied",
                        field="source.account_column")
                batch.append(SourceRecord(
                    key_text(values.get(key)),
                    key_text(values.get(account)) if account else None,
                    values,
                    number,
                ))
                if len(batch) >= size:
                    yield batch
                    batch = []
            if batch:
                yield batch
