"""Bulk API 2.0 ingest: one job's CSV, applied row by row through the Org, and its result CSVs.

Why it looks the way it does: a job may carry 1,000,000 rows and must finish in seconds, so
the header is resolved once into a per-column plan, rows are parsed with the `csv` module in
chunks (the event loop gets a turn between chunks), and the per-row outcome is kept compactly
(an id list, a created flag array, an error dict). The uploaded text itself is kept, and the
result CSVs are produced by parsing it again, so no row is ever held twice.

Shapes follow the restforce Bulk 2.0 fixtures (result CSV headers `"sf__Id","sf__Created",Name`,
values quoted) and README fact 8 (`sf__Error` like
`REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --`). Job-level failures use
the `errorMessage` wording real orgs give (`InvalidBatch : Field name not found : Foo`,
`ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF`).
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from forcebridge_emulator._bulk_locked import Outcome, apply_batches
from forcebridge_emulator._bulk_pace import JobPace
from forcebridge_emulator._errors import ApiError, SaveError, SaveResult
from forcebridge_emulator._org import Org
from forcebridge_emulator._parent_locks import UNLOCKED

log = logging.getLogger("forcebridge_emulator._bulk")

NULL_MARKER = "#N/A"
CHUNK_ROWS = 2000  # rows applied between two turns of the event loop (~30 ms)
RESULT_CHUNK_ROWS = 20000
DELIMITERS = {
    "COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`",
}  # fmt: skip
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
TERMINAL = frozenset({"JobComplete", "Failed", "Aborted"})

RowApplier = Callable[[list[str]], Outcome]


_gc_pauses = 0  # jobs currently applying rows with the cyclic GC paused
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic GC while a job applies rows.

    Why: a big job leaves millions of long-lived record dicts behind, and each full
    collection walks all of them; measured on a 1,000,000-row upsert that is ~30% of the
    processing time, for garbage the write path does not make (records hold no cycles).
    Nested/overlapping jobs share one pause; the GC is restored when the last one ends.
    """
    global _gc_pauses, _gc_was_enabled
    if _gc_pauses == 0:
        _gc_was_enabled = gc.isenabled()
        gc.disable()
    _gc_pauses += 1
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0 and _gc_was_enabled:
            # The rows just written are long-lived: move them out of the collector's sight
            # instead of letting the next collections walk them all again (refcounting still
            # frees them when deleted; only cyclic garbage made during the pause stays).
            gc.freeze()
            gc.enable()


class JobFailure(Exception):
    """The whole job fails with this `errorMessage` (nothing more is applied)."""


def error_text(error: SaveError) -> str:
    """`sf__Error` as real result files carry it: `CODE:message:Field1,Field2 --`."""
    fields = ",".join(error.fields)
    return f"{error.status_code}:{error.message}:{fields} --" if fields else (
        f"{error.status_code}:{error.message}:--")  # fmt: skip


def outcome(result: SaveResult, record_id: str | None = None) -> Outcome:
    if result.success:
        return result.id, bool(result.created), None
    first = result.errors[0] if result.errors else SaveError("UNKNOWN_EXCEPTION", "")
    return result.id or record_id, False, error_text(first)


@dataclass
class RowPlan:
    """The header resolved against the object: which cell goes where."""

    plain: list[tuple[str, int]]  # (field API name, column index)
    # (relationship name, parent key field, column index, the reference field itself)
    foreign: list[tuple[str, str, int, str]]
    id_index: int | None  # the Id column
    key_index: int | None  # the upsert key column
    width: int


def build_plan(org: Org, sobject: str, header: list[str], key_field: str | None) -> RowPlan:
    """Check every header column; the first unknown one fails the job as real orgs do."""
    obj = org.sobject(sobject)
    plain: list[tuple[str, int]] = []
    foreign: list[tuple[str, str, int, str]] = []
    id_index = key_index = None
    key_low = key_field.lower() if key_field else None
    for i, name in enumerate(header):
        if "." in name:
            rel, _, key = name.partition(".")
            ref = obj.relationship(rel.split(":", 1)[0])
            parent = ref.reference_to[0] if ref is not None and ref.reference_to else None
            if ref is None or parent is None or org.schema.get(parent) is None:
                raise JobFailure(f"InvalidBatch : Field name not found : {name}")
            try:
                key_def = org.table(parent).key_field(key)
            except ApiError:
                raise JobFailure(f"InvalidBatch : Field name not found : {name}") from None
            foreign.append((ref.relationship_name or rel, key_def.name, i, ref.name))
            continue
        f = obj.field(name)
        if f is None:
            raise JobFailure(f"InvalidBatch : Field name not found : {name}")
        if f.name == "Id":
            id_index = i
        if key_low is not None and f.name.lower() == key_low:
            key_index = i
        if f.name != "Id":
            plain.append((f.name, i))
    return RowPlan(plain, foreign, id_index, key_index, len(header))


def row_values(plan: RowPlan, row: list[str]) -> dict[str, Any]:
    """Bulk 2.0 cell rules: empty sets nothing, `#N/A` sets null, `Rel.Key` is a foreign key."""
    values: dict[str, Any] = {}
    for name, i in plan.plain:
        cell = row[i]
        if cell:
            values[name] = None if cell == NULL_MARKER else cell
    for rel, key, i, ref in plan.foreign:
        cell = row[i]
        if cell == NULL_MARKER:
            values[ref] = None
        elif cell:
            values[rel] = {key: cell}
    return values


def make_applier(org: Org, job: IngestJob, plan: RowPlan) -> RowApplier:
    """The per-row function for the job's operation, with everything constant bound once."""
    sobject, user = job.object, job.created_by
    op = job.operation

    def missing(what: str) -> Outcome:
        return None, False, f"MISSING_ARGUMENT:{what} not specified:--"

    if op == "insert":

        def apply_insert(row: list[str]) -> Outcome:
            return outcome(org.insert(sobject, row_values(plan, row), user_id=user))

        return apply_insert
    if op == "upsert":
        key = job.external_id_field or "Id"
        key_index = plan.key_index
        by_id = key.lower() == "id"

        def apply_upsert(row: list[str]) -> Outcome:
            ext = row[key_index] if key_index is not None else ""
            if not ext and not by_id:
                return missing(key)
            values = row_values(plan, row)
            return outcome(org.upsert(sobject, key, ext or None, values, user_id=user))

        return apply_upsert
    id_index = plan.id_index
    if op == "update":

        def apply_update(row: list[str]) -> Outcome:
            record_id = row[id_index] if id_index is not None else ""
            if not record_id:
                return missing("Id")
            values = row_values(plan, row)
            return outcome(org.update(sobject, record_id, values, user_id=user), record_id)

        return apply_update

    def apply_delete(row: list[str]) -> Outcome:  # delete and hardDelete
        record_id = row[id_index] if id_index is not None else ""
        if not record_id:
            return missing("Id")
        return outcome(org.delete(sobject, record_id, user_id=user), record_id)

    return apply_delete


@dataclass
class IngestJob:
    """One ingest job: its settings, its uploaded CSV and what became of each row."""

    id: str
    operation: str
    object: str
    created_by: str
    created_date: str
    api_version: str
    external_id_field: str | None = None
    line_ending: str = "LF"
    column_delimiter: str = "COMMA"
    state: str = "Open"
    system_modstamp: str = ""
    error_message: str | None = None
    data: str | None = None  # the uploaded CSV, decoded
    header_line: str = ""  # the header as uploaded (results echo it)
    processed: int = 0
    failed: int = 0
    processing_ms: int = 0
    ids: list[str | None] = field(default_factory=list)
    created: bytearray = field(default_factory=bytearray)
    errors: dict[int, str] = field(default_factory=dict)
    abort_requested: bool = False
    task: asyncio.Task[None] | None = None
    pace: JobPace | None = None  # processing time, when the org models it

    kind = "ingest"

    @property
    def delimiter(self) -> str:
        return DELIMITERS[self.column_delimiter]

    @property
    def newline(self) -> str:
        return LINE_ENDINGS[self.line_ending]

    # --- upload -------------------------------------------------------------------------

    def accept_upload(self, raw: bytes) -> None:
        self.data = raw.decode("utf-8", errors="replace")
        end = self.data.find("\n")
        self.header_line = (self.data if end < 0 else self.data[:end]).removesuffix("\r")

    def _reader(self) -> Iterator[list[str]]:
        """Rows of the uploaded CSV (header included); stops quietly at malformed data."""
        reader = csv.reader(io.StringIO(self.data or "", newline=""), delimiter=self.delimiter,
                            strict=True)  # fmt: skip
        try:
            yield from reader
        except csv.Error:
            return

    # --- processing ---------------------------------------------------------------------

    def _check_header(self, org: Org) -> tuple[list[str], RowPlan] | None:
        text = self.data or ""
        if not text.strip():
            return None
        first_end = text.find("\n")
        first_line = text if first_end < 0 else text[:first_end]
        crlf = first_line.endswith("\r")
        if first_end >= 0 and crlf != (self.line_ending == "CRLF"):
            raise JobFailure(
                "ClientInputError : LineEnding is invalid on user data. Current LineEnding "
                f"setting is {self.line_ending}"
            )
        try:
            header = next(csv.reader([self.header_line], delimiter=self.delimiter, strict=True))
        except (csv.Error, StopIteration):
            raise JobFailure("InvalidBatch : Failed to parse CSV header") from None
        plan = build_plan(org, self.object, header, self.external_id_field)
        return header, plan

    async def process(self, org: Org, clock: Callable[[], str]) -> None:
        """Apply every row (the background task behind `UploadComplete`)."""
        started = time.perf_counter()
        if self.abort_requested:  # aborted while still queued: nothing runs
            self.state = "Aborted"
            return
        self.state, self.system_modstamp = "InProgress", clock()
        try:
            checked = self._check_header(org)
            if checked is not None:
                with gc_paused():
                    await self._apply_rows(org, checked[1])
            if self.abort_requested:
                self.state = "Aborted"
            else:
                self.state = "JobComplete"
        except JobFailure as exc:
            self.state, self.error_message = "Failed", str(exc)
        except asyncio.CancelledError:
            self.state = "Aborted"
            raise
        except Exception:  # never leave a job InProgress forever
            log.exception("bulk job %s: unexpected error", self.id)
            self.state = "Failed"
            self.error_message = "InternalServerError : An unexpected error occurred"
        finally:
            if self.pace is not None:
                self.pace.cancel()  # no-op after a normal finish
            self.processing_ms = int((time.perf_counter() - started) * 1000)
            self.system_modstamp = clock()

    async def _apply_rows(self, org: Org, plan: RowPlan) -> None:
        apply = make_applier(org, self, plan)
        reader = csv.reader(io.StringIO(self.data or "", newline=""), delimiter=self.delimiter,
                            strict=True)  # fmt: skip
        next(reader, None)
        width = plan.width
        pace = self.pace
        if pace is not None and pace.locks is not None:
            columns = _parent_columns(org, self.object, plan)
            if columns:  # batches side by side, each waiting for its parents' locks
                try:
                    await apply_batches(self, org, reader, lambda row: _outcome(apply, row, width),
                                        pace, pace.locks, columns, width)  # fmt: skip
                except csv.Error as exc:
                    raise JobFailure(f"ClientInputError : {_csv_problem(exc)}") from None
                return
        ids, created, errors = self.ids, self.created, self.errors
        index = 0
        while not self.abort_requested:
            size = CHUNK_ROWS
            if pace is not None:
                await pace.at(index)
                size = min(size, pace.rows_until_boundary(index))
            try:
                rows = list(itertools.islice(reader, size))
            except csv.Error as exc:
                raise JobFailure(f"ClientInputError : {_csv_problem(exc)}") from None
            if not rows:
                break
            with org.lock:  # one acquisition per chunk; REST writes wait between chunks
                for row in rows:
                    if not row:
                        continue
                    err: str | None
                    if len(row) != width:
                        rid, was_created = None, False
                        err = _width_error(row, width)
                    else:
                        try:
                            rid, was_created, err = apply(row)
                        except ApiError as exc:
                            rid, was_created, err = None, False, error_text(exc.save_error())
                    ids.append(rid)
                    created.append(was_created)
                    if err is not None:
                        errors[index] = err
                    index += 1
            self.processed = index
            self.failed = len(errors)
            await asyncio.sleep(0)
        if pace is not None:
            await pace.finish(index)

    # --- results ------------------------------------------------------------------------

    def _data_rows(self) -> Iterator[list[str]]:
        rows = self._reader()
        next(rows, None)
        return (r for r in rows if r)

    async def result_csv(self, which: str) -> AsyncIterator[bytes]:
        """`successfulResults`, `failedResults` or `unprocessedrecords`, in chunks."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, quoting=csv.QUOTE_ALL,
                            lineterminator=self.newline)  # fmt: skip
        d, nl = self.delimiter, self.newline
        header = self.header_line
        if which == "successfulResults":
            out.write(f'"sf__Id"{d}"sf__Created"{d}{header}{nl}' if header else
                      f'"sf__Id"{d}"sf__Created"{nl}')  # fmt: skip
        elif which == "failedResults":
            out.write(f'"sf__Id"{d}"sf__Error"{d}{header}{nl}' if header else
                      f'"sf__Id"{d}"sf__Error"{nl}')  # fmt: skip
        elif header:
            out.write(f"{header}{nl}")
        ids, created, errors = self.ids, self.created, self.errors
        done = len(ids)
        if which == "failedResults":
            done = max(errors) + 1 if errors else 0  # no need to read past the last failure
        write = writer.writerow
        rows = self._data_rows() if done or which == "unprocessedrecords" else iter(())
        for i, row in enumerate(rows):
            if which == "unprocessedrecords":
                if i >= done:
                    write(row)
            elif i >= done:
                break
            elif which == "successfulResults":
                if i not in errors:
                    write([ids[i] or "", "true" if created[i] else "false", *row])
            elif i in errors:
                write([ids[i] or "", errors[i], *row])
            if i % RESULT_CHUNK_ROWS == RESULT_CHUNK_ROWS - 1:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
                await asyncio.sleep(0)
        tail = out.getvalue()
        if tail:
            yield tail.encode("utf-8")


def _parent_columns(org: Org, sobject: str, plan: RowPlan) -> list[tuple[str, int]]:
    """(parent name, column index) of every column naming a parent the org would lock."""
    obj = org.sobject(sobject)
    columns = [(f"{rel}.{key}", i) for rel, key, i, ref in plan.foreign if ref not in UNLOCKED]
    for name, i in plan.plain:
        f = obj.field(name)
        if f is not None and f.type == "reference" and name not in UNLOCKED:
            columns.append((name, i))
    return columns


def _width_error(row: list[str], width: int) -> str:
    return ("INVALID_FIELD:Number of fields in the row does not match the header "
            f"({len(row)} vs {width}):--")  # fmt: skip


def _outcome(apply: RowApplier, row: list[str], width: int) -> Outcome:
    """One row's outcome (the locked path's; the hot loop above inlines the same)."""
    if len(row) != width:
        return None, False, _width_error(row, width)
    try:
        return apply(row)
    except ApiError as exc:
        return None, False, error_text(exc.save_error())


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "EOF" in text or "quote" in text.lower():
        return f"Unable to parse CSV: unclosed quoted value ({text})"
    return f"Unable to parse CSV ({text})"
