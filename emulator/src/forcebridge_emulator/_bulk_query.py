"""Bulk API 2.0 query jobs: run the SOQL once in the background, then hand out CSV pages.

The query runs through the same SOQL engine as REST, so filters, relationships and errors
match; the rows are then flattened to CSV columns named as the query wrote them
(`Account.Name`). A query of the object's own fields (no parent, subquery or aggregate) is
copied straight into a table (`soql.run_flat`) instead of being shaped as a JSON record first:
the same cells, several times less work for the million-row reads Bulk queries are for.
Pages follow Salesforce's documented contract ("Get Results for a Query Job", Bulk API 2.0
Developer Guide): `maxRecords` bounds a page, `Sforce-NumberOfRecords`
says how many rows it holds and `Sforce-Locator` names the next page, the string `null` on
the last one. Locators are the base64 of the row offset, as real ones are (`MTAwMDA`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import csv
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forcebridge_emulator._bulk_ingest import DELIMITERS, LINE_ENDINGS
from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._org import Org
from forcebridge_emulator._soql import FlatResult, run_flat, run_query
from forcebridge_emulator._soql_parse import Aggregate, FieldPath, SubQuery, parse

log = logging.getLogger("forcebridge_emulator._bulk")

QUERY_OPERATIONS = ("query", "queryAll")
# field types whose stored values (text, numbers, None) the CSV writer writes as `_text` would
PLAIN_TYPES = frozenset({
    "id", "reference", "string", "textarea", "picklist", "multipicklist", "combobox", "email",
    "phone", "url", "encryptedstring", "double", "currency", "percent", "int", "long", "date",
    "datetime", "time",
})


class QueryFailure(Exception):
    """The job fails with this `errorMessage`."""


def columns_of(soql: str) -> list[tuple[str, tuple[str, ...]]]:
    """(CSV header, path) per selected item; raises ApiError for malformed SOQL."""
    query = parse(soql)
    out: list[tuple[str, tuple[str, ...]]] = []
    for i, item in enumerate(query.fields):
        if isinstance(item, FieldPath):
            out.append((item.text, item.parts))
        elif isinstance(item, Aggregate):
            name = item.alias or f"expr{i}"
            out.append((name, (name,)))
        elif isinstance(item, SubQuery):
            rel = item.query.sobject
            raise QueryFailure(
                f"FeatureNotEnabled : Cannot serialize value for '{rel}' in CSV format"
            )
    return out


def _cell(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    cur: Any = row
    for part in path:
        if not isinstance(cur, dict):
            return None
        if part in cur:
            cur = cur[part]
            continue
        low = part.lower()
        cur = next((v for k, v in cur.items() if k.lower() == low), None)
    return cur


def _text(value: Any, header: str) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict | list):
        raise QueryFailure(
            f"FeatureNotEnabled : Cannot serialize value for '{header}' in CSV format"
        )
    return str(value)


def locator_for(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def offset_of(locator: str) -> int:
    """The row offset a locator names; 400 for one this org never handed out."""
    try:
        raw = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True)
        return int(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}") from None


@dataclass
class QueryJob:
    """One query job: its SOQL, and once run, the CSV rows of its result."""

    id: str
    operation: str
    object: str
    query: str
    created_by: str
    created_date: str
    api_version: str
    line_ending: str = "LF"
    column_delimiter: str = "COMMA"
    state: str = "UploadComplete"
    system_modstamp: str = ""
    error_message: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[Any] = field(default_factory=list)  # a list or tuple of cells per row
    processed: int = 0
    failed: int = 0
    processing_ms: int = 0
    abort_requested: bool = False
    task: asyncio.Task[None] | None = None
    _result: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _flat: FlatResult | None = field(default=None, repr=False)

    kind = "query"

    def run(self, org: Org) -> None:
        """Run the SOQL now, so a bad query is refused by the create call (400, SOQL's own
        errorCode) as real orgs do; the CSV is built later by `process`."""
        everything = self.operation == "queryAll"
        with org.lock:
            # the object's own fields: copied as a table, not shaped record by record
            self._flat = run_flat(org, self.query, version=self.api_version,
                                  include_deleted=everything)  # fmt: skip
            if self._flat is None:
                self._result = run_query(org, self.query, version=self.api_version,
                                         include_deleted=everything).rows  # fmt: skip

    async def process(self, org: Org, clock: Callable[[], str]) -> None:
        """The background part: queued, then in progress, then the CSV rows (or Failed)."""
        started = time.perf_counter()
        await asyncio.sleep(0)  # the create call answers first, as with a queued job
        if self.abort_requested:
            self.state = "Aborted"
            return
        self.state, self.system_modstamp = "InProgress", clock()
        try:
            columns = columns_of(self.query)
            self.header = [name for name, _ in columns]
            if self._flat is not None:
                self.rows = self._flat_rows(self._flat)
            else:
                self.rows = [
                    [_text(_cell(r, path), name) for name, path in columns] for r in self._result
                ]
            self.processed = len(self.rows)
            self.state = "Aborted" if self.abort_requested else "JobComplete"
        except QueryFailure as exc:
            self.state, self.error_message = "Failed", str(exc)
        except Exception:
            log.exception("bulk query job %s: unexpected error", self.id)
            self.state = "Failed"
            self.error_message = "InternalServerError : An unexpected error occurred"
        finally:
            self._result, self._flat = [], None
            self.processing_ms = int((time.perf_counter() - started) * 1000)
            self.system_modstamp = clock()

    def _flat_rows(self, flat: FlatResult) -> list[Any]:
        """The table's rows as the CSV writer takes them: values of plain types as they
        are (it writes None as "" and the rest as `str` does, as `_text` would), the others
        through `_text`."""
        convert = [None if f.type in PLAIN_TYPES else name
                   for f, name in zip(flat.fields, self.header, strict=True)]
        if all(c is None for c in convert):
            return list(flat.rows)
        return [[v if c is None else _text(v, c) for v, c in zip(row, convert, strict=True)]
                for row in flat.rows]

    def page(self, locator: str | None, max_records: int | None) -> tuple[bytes, str, int]:
        """(CSV body, next locator or "null", rows in this page)."""
        start = offset_of(locator) if locator else 0
        if start > len(self.rows):
            raise ApiError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}")
        stop = len(self.rows) if max_records is None else min(len(self.rows), start + max_records)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=DELIMITERS[self.column_delimiter],
                            quoting=csv.QUOTE_ALL, lineterminator=LINE_ENDINGS[self.line_ending])  # fmt: skip
        writer.writerow(self.header)
        writer.writerows(self.rows[start:stop])
        following = locator_for(stop) if stop < len(self.rows) else "null"
        return out.getvalue().encode("utf-8"), following, stop - start
