"""Where entity-sync records come from: SQL, CSV and JSONL sources, streamed in batches."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from forcebridge.sources.base import DEFAULT_BATCH_SIZE, Source, SourceError, SourceRecord
from forcebridge.sources.files import CsvSource, CsvSourceSpec, JsonlSource, JsonlSourceSpec
from forcebridge.sources.sql import SqlSource, SqlSourceSpec

SourceSpec = Annotated[SqlSourceSpec | CsvSourceSpec | JsonlSourceSpec, Field(discriminator="kind")]


def open_source(spec: SqlSourceSpec | CsvSourceSpec | JsonlSourceSpec) -> Source:
    """The `Source` for a spec; nothing is opened until its batches are iterated."""
    if isinstance(spec, SqlSourceSpec):
        return SqlSource(spec)
    if isinstance(spec, CsvSourceSpec):
        return CsvSource(spec)
    return JsonlSource(spec)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "CsvSource",
    "CsvSourceSpec",
    "JsonlSource",
    "JsonlSourceSpec",
    "Source",
    "SourceError",
    "SourceRecord",
    "SourceSpec",
    "SqlSource",
    "SqlSourceSpec",
    "open_source",
]
