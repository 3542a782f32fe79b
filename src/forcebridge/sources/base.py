"""What every source hands the sync engine: batches of keyed records, streamed.

A source never holds more than one batch: SQL sources use server-side cursors, file sources
read line by line. Anything that stops a source from being read (bad URL, missing table or key
column, a malformed line) is a `SourceError` naming what and why; problems of single values
are left to mapping, which reports them per record without stopping the batch.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, Protocol

from forcebridge.errors import InvalidInput

DEFAULT_BATCH_SIZE = 1000


class SourceError(InvalidInput):
    """The source cannot be reached or read; the message names the source and the reason."""

    code = "source_error"


class MissingColumn(SourceError):
    """A column the spec names (key, account id, cursor) is not among the source's columns;
    `spec_field` is the spec's field (`source.key_column`, ...), so a save can name it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.spec_field = field


class SourceRefused(SourceError):
    """The source named is not one the tenant may read, or leads outside what it was granted;
    `details` name the field (`config.source.*`) and what is allowed."""

    code = "source_refused"


class SourceRecord:
    """One source row: its key, the account it belongs to, all its columns, where it came from.

    `key` and `account_id` are text (numbers converted) or None when the row has none; `line`
    is the 1-based row number (the physical line for files) for error messages.

    A source with a fixed set of columns may hand its row as the driver gave it (`row`, the
    key column among its values, with the `columns` list shared by the whole source) instead
    of a dict: `values` is then built on first use. A re-sync skips most rows on a hash of
    `row` alone (`sync.raw`) and the mapper reads rows by position, so rows never cost a dict.
    """

    __slots__ = ("_values", "account_id", "columns", "key", "line", "row")

    def __init__(
        self, key: str | None, account_id: str | None, values: dict[str, Any] | None,
        line: int, row: Sequence[Any] | None = None, columns: Sequence[str] | None = None,
    ) -> None:
        self.key = key
        self.account_id = account_id
        self._values = values
        self.line = line
        self.row = row
        self.columns = columns

    @property
    def values(self) -> dict[str, Any]:
        """Column name -> value (built from `row` and `columns` when the source gave a row)."""
        values = self._values
        if values is None:
            values = self._values = dict(zip(self.columns or (), self.row or (), strict=False))
        return values

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceRecord):
            return NotImplemented
        return (self.key, self.account_id, self.values, self.line) == (
            other.key, other.account_id, other.values, other.line)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return (f"SourceRecord(key={self.key!r}, account_id={self.account_id!r}, "
                f"values={self.values!r}, line={self.line!r})")


Batches = Generator[list["SourceRecord"], None, None]
"""What `Source.batches` returns: a generator, so a caller stopping early can `close()` it."""


class Source(Protocol):
    """Anything that streams `SourceRecord` batches.

    Iterating `batches()` opens the source and the generator's end (or `close()`) releases it,
    so a caller that stops early leaks nothing.
    """

    @property
    def description(self) -> str:
        """What the source reads, for messages; never contains a secret."""
        ...

    def columns(self) -> list[str] | None:
        """The column names every record carries, or None when the source has no fixed set
        (JSONL); `plan.check` uses them to see auto-mapped and missing columns."""
        ...

    def batches(self, size: int = DEFAULT_BATCH_SIZE) -> Batches: ...


def key_text(value: Any) -> str | None:
    """A key or account id as text: ints without ".0", blank text as missing."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
