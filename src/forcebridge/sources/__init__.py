"""Where entity-sync records come from: SQL, CSV and JSONL sources, streamed in batches.

A spec names a data source granted to the tenant; `services.data_sources` locates it (the
database, or the file inside its root) and `open_source` opens what it located.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from forcebridge.sources.base import (
    DEFAULT_BATCH_SIZE,
    MissingColumn,
    Source,
    SourceError,
    SourceRecord,
    SourceRefused,
)
from forcebridge.sources.files import CsvSource, CsvSourceSpec, JsonlSource, JsonlSourceSpec
from forcebridge.sources.sql import SqlDatabase, SqlSource, SqlSourceSpec

SourceSpec = Annotated[SqlSourceSpec | CsvSourceSpec | JsonlSourceSpec, Field(discriminator="kind")]


def open_source(
    spec: SqlSourceSpec | CsvSourceSpec | JsonlSourceSpec, located: SqlDatabase | Path,
    *, filtered: bool = False,
) -> Source:
    """The `Source` for a spec and where it was located (the granted database, or the file
    inside the granted root); nothing is opened until its batches are iterated. `filtered`:
    the integration filters by account, so every record must carry its account column."""
    if isinstance(spec, SqlSourceSpec):
        assert isinstance(located, SqlDatabase)
        return SqlSource(spec, located)
    assert isinstance(located, Path)
    if isinstance(spec, CsvSourceSpec):
        return CsvSource(spec, located)
    return JsonlSource(spec, located, require_account=filtered)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "CsvSource",
    "CsvSourceSpec",
    "JsonlSource",
    "JsonlSourceSpec",
    "MissingColumn",
    "Source",
    "SourceError",
    "SourceRecord",
    "SourceRefused",
    "SourceSpec",
    "SqlDatabase",
    "SqlSource",
    "SqlSourceSpec",
    "open_source",
]
