"""Comparing what the org holds with what forcebridge would write, field by field.

The org answers a SOQL query as JSON (numbers, booleans, null) and a Bulk API 2.0 query as
CSV (all text, "" for null); a payload holds what the mapper produced (int, float, bool,
str, None). `canonical` brings all three to one text per field type so they compare equal
when Salesforce holds the value forcebridge wrote. Reference fields (`Account__r`: a parent
by external id) and auto-mapped fields are not compared: the org holds the parent's id, not
the external id that was sent.

An org row is kept in memory as its Salesforce id and one 4-byte digest per compared field
(`OrgRow`), about 200 bytes a record with its external id, so a million records fit in about
200 MB; only the fields whose digests differ are reported as drifted.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

NUMBER_TYPES = frozenset({"double", "currency", "percent", "int", "long"})
DATETIME_TYPES = frozenset({"datetime"})
BOOLEAN_TYPES = frozenset({"boolean"})


def canonical(value: Any, kind: str) -> str:
    """One text per value of a field type: "" for null or empty, numbers as floats,
    datetimes as UTC to the millisecond, booleans as true/false, the rest as text."""
    if value is None or value == "":
        return ""
    if kind == "number":
        try:
            return repr(float(value))
        except (TypeError, ValueError):
            return str(value)
    if kind == "datetime":
        return _utc(str(value))
    if kind == "boolean":
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value).lower()
    return str(value)


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


def _digest(text: str) -> int:
    return hash(text) & 0xFFFFFFFF


@dataclass(frozen=True)
class Compared:
    """The fields reconciliation reads back and compares, with their comparison kind."""

    fields: tuple[str, ...]
    kinds: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_packer", struct.Struct(f"<{len(self.fields)}I"))

    def pack(self, row: Mapping[str, Any]) -> bytes:
        """The digests of an org row's (or a payload's) compared fields."""
        packer: struct.Struct = self._packer  # type: ignore[attr-defined]
        return packer.pack(*(_digest(canonical(row.get(f), k))
                             for f, k in zip(self.fields, self.kinds, strict=True)))

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
