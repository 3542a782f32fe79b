"""Compiled mappings: a spec plus (optionally) the target's describe, as a fast function.

`compile_mapping` resolves everything once (namespace, field lengths and scales from the
describe, the transform for each field) so mapping a record is a loop over prepared steps.
Errors never stop a batch: `Mapper.map_batch` returns the mapped records and one
`MappingError` per failed record, each naming the record key, the field and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from forcebridge.errors import InvalidInput
from forcebridge.sources.base import SourceRecord
from forcebridge.sync import transforms as tf
from forcebridge.sync.mapping import (
    BooleanTransform,
    DatetimeTransform,
    DateTransform,
    FieldMapping,
    MappingSpec,
    NumberTransform,
    RawTransform,
    ReferenceTransform,
    SyncMode,
    TextTransform,
    ValueMapTransform,
)
from forcebridge.sync.schema import (
    FieldSchema,
    ObjectSchema,
    precision_scale,
    required_on_create,
)

TEXT_TYPES = frozenset(
    {"string", "textarea", "phone", "url", "email", "picklist", "multipicklist", "combobox",
     "encryptedstring"}
)
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int", "long"})


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    reason: str


class MappingError(InvalidInput):
    """Every problem of one record; `details` lists key, field and reason of each."""

    code = "mapping_error"

    def __init__(self, key: str | None, errors: list[FieldError], line: int | None = None) -> None:
        where = f"record {key!r}" if key is not None else f"record on line {line}"
        text = "; ".join(f"{e.field}: {e.reason}" for e in errors)
        super().__init__(
            f"{where}: {text}",
            details=[{"key": key, "line": line, "field": e.field, "reason": e.reason}
                     for e in errors],
        )
        self.key = key
        self.line = line
        self.errors = errors


@dataclass(slots=True)
class MappedRecord:
    """A record ready for Salesforce: its key and the payload (field name -> JSON value)."""

    key: str
    payload: dict[str, Any]
    line: int


def reference_names(field: str, schema_field: FieldSchema | None) -> tuple[str, str]:
    """(relationship name, lookup field name) for a reference mapping's target.

    Users may name either: `Account__c`/`Account__r` or `AccountId`/`Account`.
    """
    if schema_field is not None and schema_field.relationship_name:
        return schema_field.relationship_name, schema_field.name
    lower = field.lower()
    if lower.endswith("__c"):
        return field[:-3] + "__r", field
    if lower.endswith("__r"):
        return field, field[:-3] + "__c"
    if lower.endswith("id") and len(field) > 2:
        return field[:-2], field
    return field, field + "Id"


def find_field(schema: ObjectSchema, name: str) -> FieldSchema | None:
    """A field by name, or the reference field whose relationship has that name."""
    found = schema.field(name)
    if found is not None:
        return found
    lower = name.lower()
    return next(
        (f for f in schema.fields if (f.relationship_name or "").lower() == lower), None
    )


def auto_converter(field: FieldSchema, timezone: str | None) -> tf.Convert:
    """The transform a field's describe type implies when the mapping names none."""
    kind = field.type
    if kind in TEXT_TYPES:
        return tf.to_text(max_length=field.length or None)
    if kind in NUMBER_TYPES:
        precision, scale = precision_scale(field)
        return tf.to_number(scale=0 if kind in ("int", "long") else scale, precision=precision)
    if kind == "boolean":
        return tf.to_boolean()
    if kind == "date":
        return tf.to_date(timezone)
    if kind == "datetime" and timezone:
        return tf.to_datetime(timezone)
    if kind in ("id", "reference", "time"):
        return tf.to_text()
    return tf.to_raw()


def converter(mapping: FieldMapping, field: FieldSchema | None, spec: MappingSpec) -> tf.Convert:
    t = mapping.transform
    if t is None:
        return auto_converter(field, spec.timezone) if field is not None else tf.to_raw()
    if isinstance(t, TextTransform):
        length = t.max_length
        if length is None and field is not None and field.type in TEXT_TYPES:
            length = field.length or None
        return tf.to_text(length, t.truncate, t.strip)
    if isinstance(t, NumberTransform):
        precision, scale = precision_scale(field) if field is not None else (None, None)
        if field is not None and field.type in ("int", "long"):
            scale = 0
        return tf.to_number(
            t.scale if t.scale is not None else scale,
            t.precision if t.precision is not None else precision,
        )
    if isinstance(t, BooleanTransform):
        return tf.to_boolean()
    if isinstance(t, DateTransform):
        return tf.to_date(t.timezone or spec.timezone, t.format)
    if isinstance(t, DatetimeTransform):
        return tf.to_datetime(t.timezone, t.format, t.ambiguous)
    if isinstance(t, ValueMapTransform):
        return tf.to_value_map(t.values, t.default, t.passthrough, t.case_sensitive)
    if isinstance(t, ReferenceTransform | RawTransform):
        return tf.to_raw()
    raise AssertionError(f"unknown transform {t!r}")


def _wrap_reference(convert: tf.Convert, ext_field: str) -> tf.Convert:
    return lambda value: {ext_field: convert(value)}


@dataclass(frozen=True, slots=True)
class _Step:
    name: str  # payload key for a value
    null_name: str  # payload key for null (the lookup field for references)
    column: str | None
    constant: Any
    convert: tf.Convert
    required: bool


def auto_candidates(schema: ObjectSchema, mode: SyncMode) -> dict[str, FieldSchema]:
    """Fields an auto-mapped column may fill: lower-cased name -> field, writable in `mode`."""
    return {
        f.name.lower(): f
        for f in schema.fields
        if (f.createable or not mode.creates) and (f.updateable or not mode.updates)
        and (f.createable or f.updateable)
    }


class Mapper:
    """Maps `SourceRecord`s to `MappedRecord`s for one target object."""

    def __init__(
        self,
        spec: MappingSpec,
        steps: list[_Step],
        auto: dict[str, FieldSchema] | None,
        used_columns: frozenset[str],
    ) -> None:
        self.spec = spec
        self.object_name = spec.resolved_object()
        self.external_id_field = spec.resolved_external_id()
        self._steps = steps
        self._names = [s.name for s in steps]
        self._converts = [s.convert for s in steps]
        self._auto = auto
        self._auto_cache: dict[str, _Step | None] = {}
        self._used = used_columns
        self._prefix = spec.target.namespace.effective_prefix
        self._columns: Sequence[str] | None = None  # the row layout `_at` was built for
        self._at: list[tuple[int | None, Any]] = []

    @property
    def scope(self) -> str:
        """What payload hashes are scoped to (`Differ(scope=...)`): object and external id."""
        return f"{self.object_name}/{self.external_id_field or ''}"

    @property
    def fields(self) -> list[str]:
        """Payload keys of the explicit mappings, in mapping order."""
        return [s.name for s in self._steps]

    def _auto_step(self, column: str) -> _Step | None:
        step = self._auto_cache.get(column, ...)
        if step is ...:
            assert self._auto is not None
            field = self._auto.get(self.spec.target.namespace.apply(column).lower())
            taken = {s.null_name.lower() for s in self._steps}
            step = None
            if field is not None and field.name.lower() not in taken:
                step = _Step(field.name, field.name, column, None,
                             auto_converter(field, self.spec.timezone), False)
            self._auto_cache[column] = step
        return step

    def _positions(self, columns: Sequence[str] | None) -> list[tuple[int | None, Any]]:
        """Per step, where its value sits in a row of `columns` (None: take the constant, or
        None when the column is not there); built once per source."""
        if columns is not self._columns:
            index = {c: i for i, c in enumerate(columns or ())}
            self._at = [(index.get(s.column), None) if s.column is not None
                        else (None, s.constant) for s in self._steps]
            self._columns = columns
        return self._at

    def map(self, record: SourceRecord) -> MappedRecord:
        """The record's payload; raises `MappingError` listing every failing field."""
        payload: dict[str, Any] = {}
        errors: list[FieldError] | None = None
        steps = self._steps
        row = record.row
        if row is not None and self._auto is None:  # by position: no dict for the row
            got = [fixed if at is None else row[at]
                   for at, fixed in self._positions(record.columns)]
            if None not in got and record.key is not None:
                # the common record: every value there and convertible, in one pass
                try:
                    converted = [c(v) for c, v in zip(self._converts, got, strict=True)]
                except tf.TransformError:
                    pass  # the step by step loop below names every failing field
                else:
                    return MappedRecord(
                        record.key, dict(zip(self._names, converted, strict=True)), record.line)
        else:
            values = record.values
            if self._auto is not None:
                extra = [self._auto_step(c) for c in values if c not in self._used]
                steps = steps + [s for s in extra if s is not None]
            got = [s.constant if s.column is None else values.get(s.column) for s in steps]
        for step, value in zip(steps, got, strict=True):
            if value is None:
                payload[step.null_name] = None
                if step.required:
                    errors = errors or []
                    errors.append(FieldError(step.null_name, "required field is empty"))
                continue
            try:
                payload[step.name] = step.convert(value)
            except tf.TransformError as exc:
                errors = errors or []
                errors.append(FieldError(step.null_name, exc.reason))
        if record.key is None:
            errors = [FieldError("key", "the record has no key (key column empty)"), *(errors or [])]
        if errors:
            raise MappingError(record.key, errors, record.line)
        assert record.key is not None
        return MappedRecord(record.key, payload, record.line)

    def field_of(self, name: str) -> Callable[[SourceRecord], Any] | None:
        """A function giving one payload field of a record without mapping the others, or
        None when the field is not mapped from a column (or the mapping auto-maps). The
        function answers None where the value is empty or does not convert (`map` says why).
        """
        at = next((i for i, s in enumerate(self._steps)
                   if s.name == name and s.column is not None), None)
        if at is None or self._auto is not None:
            return None
        column, convert = self._steps[at].column, self._converts[at]
        assert column is not None

        def value(record: SourceRecord) -> Any:
            row = record.row
            if row is not None:
                where = self._positions(record.columns)[at][0]
                raw = None if where is None else row[where]
            else:
                raw = record.values.get(column)
            if raw is None:
                return None
            try:
                return convert(raw)
            except tf.TransformError:
                return None

        return value

    def map_batch(
        self, records: Iterable[SourceRecord]
    ) -> tuple[list[MappedRecord], list[MappingError]]:
        """Maps every record; failures are collected, never raised."""
        mapped: list[MappedRecord] = []
        failed: list[MappingError] = []
        add, names, converts = mapped.append, self._names, self._converts
        columns: Sequence[str] | None = None
        take: Callable[[Sequence[Any]], tuple[Any, ...]] | None = None
        for record in records:
            row = record.row
            if row is not None and self._auto is None and self._steps:
                if record.columns is not columns:  # a row layout: where each step's value is
                    columns, take = record.columns, _taker(self._positions(record.columns))
                if take is not None:
                    got = take(row)
                    if None not in got and record.key is not None:
                        # `map`'s common record, without its per-record set-up
                        try:
                            converted = [c(v) for c, v in zip(converts, got, strict=True)]
                        except tf.TransformError:
                            pass  # `map` names every failing field
                        else:
                            add(MappedRecord(record.key, dict(zip(names, converted, strict=True)),
                                             record.line))
                            continue
            try:
                add(self.map(record))
            except MappingError as exc:
                failed.append(exc)
        return mapped, failed


def _taker(at: list[tuple[int | None, Any]]) -> Callable[[Sequence[Any]], tuple[Any, ...]] | None:
    """A C function giving a row's values in step order, or None when a step takes a constant
    or a column the row lacks (`Mapper.map` handles those)."""
    where = [i for i, _ in at if i is not None]
    if len(where) != len(at):
        return None
    if len(where) == 1:  # itemgetter of one index gives the value, not a tuple
        one = where[0]
        return lambda row: (row[one],)
    return itemgetter(*where)


def compile_mapping(
    spec: MappingSpec, schema: ObjectSchema | None = None, mode: SyncMode = SyncMode.UPSERT
) -> Mapper:
    """A `Mapper` for `spec`; with the target's describe, lengths/scales/types come from it.

    Compiling does not validate the spec against the org: run `plan.check` first.
    """
    ns = spec.target.namespace
    steps: list[_Step] = []
    for m in spec.mappings:
        name = ns.apply(m.field)
        field = find_field(schema, name) if schema is not None else None
        convert = converter(m, field, spec)
        null_name = field.name if field is not None else name
        if isinstance(m.transform, ReferenceTransform):
            name, null_name = reference_names(name, field)
            convert = _wrap_reference(convert, ns.apply(m.transform.external_id_field))
        elif field is not None:
            name = field.name
        required = field is not None and required_on_create(field)
        steps.append(_Step(name, null_name, m.column, m.constant, convert, required))
    auto = auto_candidates(schema, mode) if spec.auto_map and schema is not None else None
    used = frozenset(m.column for m in spec.mappings if m.column is not None)
    return Mapper(spec, steps, auto, used)
