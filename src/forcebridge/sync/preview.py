"""What a run would do to each record, field by field: the records a plan lists. No I/O.

A plan counts every record but lists only the first `limit` that a run would change (created,
updated, deleted, or rejected with the reasons), in source order, deletions last. An update
lists every field it would send; once the org's current values are read back (`compare`),
each field says what the org holds and whether the run would change it. References (a parent
by external id) cannot be compared: the org holds the parent's id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from forcebridge.sync.diff import Diffed
from forcebridge.sync.mapper import MappingError
from forcebridge.sync.readback import canonical, kind_of

Action = Literal["create", "update", "delete", "reject"]
DEFAULT_LIMIT = 50


@dataclass
class FieldChange:
    """One field a run would send, and (for an update read back) what the org holds now."""

    field: str
    value: Any
    org: Any = None
    compared: bool = False  # the org's value was read and compared
    differs: bool = True


@dataclass
class PlannedRecord:
    key: str | None
    action: Action
    salesforce_id: str | None = None
    line: int | None = None
    fields: list[FieldChange] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)

    @property
    def changed_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if f.differs]


def _fields(payload: Mapping[str, Any]) -> list[FieldChange]:
    return [FieldChange(name, value) for name, value in payload.items()]


@dataclass
class Listing:
    """The first `limit` records a run would change; `more` says whether others were left out."""

    limit: int = DEFAULT_LIMIT
    records: list[PlannedRecord] = field(default_factory=list)
    more: bool = False

    def _room(self) -> bool:
        if len(self.records) < self.limit:
            return True
        self.more = True
        return False

    def batch(self, created: Iterable[Diffed], updated: Iterable[Diffed],
              rejected: Iterable[MappingError]) -> None:
        """A prepared batch's changes, in the order of their lines in the source."""
        planned = [PlannedRecord(r.key, "create", r.salesforce_id, r.line, _fields(r.payload))
                   for r in created]
        planned += [PlannedRecord(r.key, "update", r.salesforce_id, r.line, _fields(r.payload))
                    for r in updated]
        planned += [PlannedRecord(e.key, "reject", line=e.line,
                                  problems=[{"field": x.field, "reason": x.reason}
                                            for x in e.errors])
                    for e in rejected]
        planned.sort(key=lambda r: r.line if r.line is not None else 0)
        for record in planned:
            if not self._room():
                return
            self.records.append(record)

    def deleted(self, key: str, salesforce_id: str) -> bool:
        """Lists a deletion; False once the listing is full (the caller may stop looking)."""
        if not self._room():
            return False
        self.records.append(PlannedRecord(key, "delete", salesforce_id))
        return True

    def updates(self) -> list[PlannedRecord]:
        return [r for r in self.records if r.action == "update"]

    def as_list(self) -> list[dict[str, Any]]:
        return [asdict(r) | {"changed_fields": [f.field for f in r.changed_fields]}
                for r in self.records]


def compare(record: PlannedRecord, org_row: Mapping[str, Any] | None,
            types: Mapping[str, str | None]) -> None:
    """Fill in what the org holds for each field of an update and whether it would change.

    `org_row` is the record as the org answered a query (None: not found, so every field
    is news); `types` maps lower-cased field names to their describe type."""
    if org_row is None:
        return
    held = {k.lower(): v for k, v in org_row.items() if k != "attributes"}
    for f in record.fields:
        name = f.field.lower()
        if isinstance(f.value, dict) or name not in held:
            continue  # a reference by external id, or a field the query did not read
        kind = kind_of(types.get(name))
        f.org, f.compared = held[name], True
        f.differs = canonical(f.value, kind) != canonical(held[name], kind)
