"""Comparing what the org holds with what forcebridge would write, field by field.

The org answers a SOQL query as JSON (numbers, booleans, null) and a Bulk API 2.0 query as
CSV (all text, "" for null); a payload holds what the mapper produced (int, float, bool,
str, None). `canonical` brings all three to one text per field type so they compare equal
when Salesforce holds the value forcebridge wrote. Reference fields (`Account__r`: a parent
by external id) and auto-mapped fields are not compared: the org holds the parent's id, not
the external id that was sent.

An org row is kept in memory as its Salesforce id and one 4-byte digest (crc32 of the
canonical text: stable across processes, unlike `hash()`) per compared field, about 200 bytes a record with its external id, so a
million records fit in about 200 MB; only the fields whose digests differ are reported as
drifted. The same digests of every payload a run writes are kept in the sync state
(`Compared.stamp`, behind a tag naming the fields and how they compare), so a reconciling run
checks a row unchanged since that write against the org's without mapping it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zlib import crc32

from forcebridge.sync.mapper import Mapper, find_field
from forcebridge.sync.mapping import ReferenceTransform
from forcebridge.sync.schema import ObjectSchema

NUMBER_TYPES = frozenset({"double", "currency", "percent", "int", "long"})
DATETIME_TYPES = frozenset({"datetime"})
BOOLEAN_TYPES = frozenset({"boolean"})


def canonical(value: Any, kind: str) -> str:
    """One text per value of a field type: "" for null or empty, numbers as floats,
    datetimes as UTC to the millisecond, booleans as true/false, the rest as text."""
    if value is None or value == "":
        return ""
    return _CANONICAL[kind](value)


def _utc(text: str) -> str:
    # Salesforce writes "2024-01-31T10:00:00.000+0000" (REST) or "...000Z" (Bulk CSV)
    if len(text) >= 23 and (text.endswith("Z") or text.endswith("+0000")):
        return text[:23]
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}"


def kind_of(sf_type: str | None) -> str:
    if sf_type in NUMBER_TYPES:
        return "number"
    if sf_type in DATETIME_TYPES:
        return "datetime"
    if sf_type in BOOLEAN_TYPES:
        return "boolean"
    return "text"


def _number(value: Any) -> str:
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value)


def _boolean(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


_CANONICAL: dict[str, Callable[[Any], str]] = {
    "number": _number, "datetime": lambda v: _utc(str(v)), "boolean": _boolean, "text": str,
}


_UTC_ENDS = ("Z", "+0000")


def _column_of(kind: str) -> Callable[[list[Any]], list[int]]:
    """The digests of one field's values, a column at a time: text and numbers in C (a
    million of them per reconciliation), the rest value by value."""
    canon = _CANONICAL[kind]

    def each(values: list[Any]) -> list[int]:
        return [0 if v is None else crc32(canon(v).encode()) for v in values]

    if kind == "text":
        def text(values: list[Any]) -> list[int]:
            texts = ["" if v is None else v if v.__class__ is str else str(v) for v in values]
            return list(map(crc32, map(str.encode, texts)))
        return text
    if kind == "number":
        def number(values: list[Any]) -> list[int]:
            try:  # None or text that is no number (an empty cell): value by value
                return list(map(crc32, map(str.encode, map(repr, map(float, values)))))
            except (TypeError, ValueError):
                return each(values)
        return number
    if kind == "datetime":
        def moment(values: list[Any]) -> list[int]:
            try:  # every value in Salesforce's own UTC form: its first 23 characters
                cut = [v[:23] for v in values if v[23:] in _UTC_ENDS]
            except TypeError:  # None, or not text
                return each(values)
            if len(cut) != len(values):
                return each(values)
            return list(map(crc32, map(str.encode, cut)))
        return moment
    return each


DIGESTS_TAG = 4  # bytes naming the compared fields and kinds at the head of `Compared.stamp`


@dataclass(frozen=True)
class Compared:
    """The fields reconciliation reads back and compares, with their comparison kind."""

    fields: tuple[str, ...]
    kinds: tuple[str, ...]
    tag: bytes = field(init=False, repr=False, compare=False)
    _packer: struct.Struct = field(init=False, repr=False, compare=False)
    _steps: tuple[tuple[str, Callable[[Any], str]], ...] = field(
        init=False, repr=False, compare=False)

    _columns: tuple[Callable[[list[Any]], list[int]], ...] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_packer", struct.Struct(f"<{len(self.fields)}I"))
        object.__setattr__(self, "_columns", tuple(_column_of(k) for k in self.kinds))
        object.__setattr__(self, "_steps", tuple(
            (f, _CANONICAL[k]) for f, k in zip(self.fields, self.kinds, strict=True)))
        named = "\0".join(f"{f}:{k}" for f, k in zip(self.fields, self.kinds, strict=True))
        object.__setattr__(self, "tag", struct.pack("<I", crc32(named.encode())))

    def pack(self, row: Mapping[str, Any]) -> bytes:
        """The digests of an org row's (or a payload's) compared fields."""
        get = row.get
        # None and "" digest to 0 (the canonical text of both is "", whose crc32 is 0)
        return self._packer.pack(*[
            0 if (value := get(name)) is None else crc32(canon(value).encode())
            for name, canon in self._steps])

    def pack_rows(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[bytes]:
        """`pack` of each of `rows`, lists of text under `header` (a Bulk query's CSV, which
        names every compared field), a column at a time."""
        where = {name.lower(): i for i, name in enumerate(header)}
        columns = [digests([row[at] for row in rows]) for at, digests in zip(
            (where[f.lower()] for f in self.fields), self._columns, strict=True)]
        return list(map(self._packer.pack, *columns))

    def stamp(self, payload: Mapping[str, Any]) -> bytes:
        """What the sync state keeps of a written payload: `tag` (which fields, compared how)
        then its `pack`; `unchanged` checks an org row against it."""
        return self.tag + self.pack(payload)

    def stamps(self, payloads: Sequence[Mapping[str, Any]]) -> list[bytes]:
        """`stamp` of each payload, a column at a time (a run stamps every record it sends)."""
        if not payloads:
            return []
        columns = [digests([p.get(f) for p in payloads])
                   for f, digests in zip(self.fields, self._columns, strict=True)]
        tag = self.tag
        return [tag + packed for packed in map(self._packer.pack, *columns)]

    def unchanged(self, stamp: bytes | None, org: bytes) -> bool:
        """Whether the org's digests (`pack`) are those of the payload `stamp`ed (False when
        the stamp was taken with other fields or kinds, or is missing)."""
        return stamp is not None and stamp[:DIGESTS_TAG] == self.tag \
            and stamp[DIGESTS_TAG:] == org

    def differing(self, payload: Mapping[str, Any], org: bytes) -> list[str]:
        """The compared fields whose payload value differs from the org's (`pack`ed)."""
        mine = self.pack(payload)
        if mine == org:
            return []
        size = 4
        return [f for i, f in enumerate(self.fields)
                if mine[i * size:(i + 1) * size] != org[i * size:(i + 1) * size]]


def compared_fields(
    payload_keys: Sequence[str], types: Mapping[str, str | None], external_id: str | None,
    references: Sequence[str],
) -> Compared:
    """Compared fields of a mapping: its payload keys but the external id and references;
    `types` maps each key to its describe type."""
    skip = {k.lower() for k in references}
    if external_id:
        skip.add(external_id.lower())
    fields = tuple(k for k in payload_keys if k.lower() not in skip)
    return Compared(fields, tuple(kind_of(types.get(f)) for f in fields))


def compared_for(mapper: Mapper, target: ObjectSchema | None) -> Compared:
    """The compared fields of a compiled mapping against the target's describe."""
    keys = mapper.fields
    references = [k for k, m in zip(keys, mapper.spec.mappings, strict=True)
                  if isinstance(m.transform, ReferenceTransform)]
    types: dict[str, str | None] = {}
    for k in keys:
        found = find_field(target, k) if target is not None else None
        types[k] = found.type if found is not None else None
    return compared_fields(keys, types, mapper.external_id_field, references)
