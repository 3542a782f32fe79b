"""Who owns each mapped field, and what a write may therefore carry.

A mapping's `owner: salesforce` field is written when forcebridge creates the record and
never again: it is left out of every update (a changed record, update mode, a repair). A
source-owned field (the default) is written with every change of its record; when
reconciliation finds it changed in Salesforce since forcebridge last wrote it, its
`on_conflict` decides: `overwrite` writes the source value back, `keep` leaves Salesforce's
value, `event` leaves it and opens an event naming the record and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from forcebridge.sync.diff import Diffed
from forcebridge.sync.mapping import MappingSpec, Owner, SyncMode


@dataclass(frozen=True)
class Ownership:
    """The ownership of one mapping's fields, by payload key (namespace applied)."""

    salesforce: frozenset[str]  # written on create only
    conflict: Mapping[str, str]  # source-owned field -> overwrite | keep | event

    @classmethod
    def of(cls, spec: MappingSpec, payload_keys: list[str]) -> Ownership:
        """`payload_keys`: the mapper's keys for `spec.mappings`, in the same order."""
        salesforce: set[str] = set()
        conflict: dict[str, str] = {}
        for key, m in zip(payload_keys, spec.mappings, strict=True):
            if m.owner is Owner.SALESFORCE:
                salesforce.add(key)
            else:
                conflict[key] = str(m.on_conflict)
        return cls(frozenset(salesforce), conflict)

    def for_update(self, payload: Mapping[str, Any], keep: frozenset[str] = frozenset()
                   ) -> dict[str, Any]:
        """`payload` without the Salesforce-owned fields and those in `keep`."""
        drop = self.salesforce | keep
        if not drop:
            return dict(payload)
        return {k: v for k, v in payload.items() if k not in drop}

    def for_updates(self, new: Sequence[Diffed], changed: Sequence[Diffed], mode: SyncMode
                    ) -> list[Diffed]:
        """A run's records to send, Salesforce-owned fields left out of what updates a record
        (changed records; every record in update mode). A record new to this org's state is
        sent whole: forcebridge creates it (upsert of a record the org already had but the
        state did not know updates it whole; a reconciling run re-links such records)."""
        if not self.salesforce:
            return [*new, *changed]
        updating = [*new, *changed] if mode is SyncMode.UPDATE else list(changed)
        stripped = [Diffed(d.key, self.for_update(d.payload), d.hash, d.change, d.salesforce_id,
                           d.line, d.raw_hash, d.digests) for d in updating]
        return stripped if mode is SyncMode.UPDATE else [*new, *stripped]

    def drifted(self, fields: list[str]) -> tuple[list[str], list[str], list[str]]:
        """Fields found changed in Salesforce split by what to do: (overwrite, keep, event);
        Salesforce-owned fields are Salesforce's to change and appear in none."""
        split: dict[str, list[str]] = {"overwrite": [], "keep": [], "event": []}
        for f in fields:
            rule = self.conflict.get(f)
            if rule is not None:
                split[rule].append(f)
        return split["overwrite"], split["keep"], split["event"]
