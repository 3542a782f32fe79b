"""Source batches to Salesforce-ready batches: filter, map, hash, classify. No I/O.

This is the CPU half of an entity-sync run; the runner feeds it a source's batches and sends
`new` and `changed` records to Salesforce, records `errors` as events, and counts `unchanged`
and `filtered`. Every source key is marked seen before filtering and mapping, so mirror mode
deletes only what truly left the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from forcebridge.sources.base import SourceRecord
from forcebridge.sync.diff import Change, Diffed, Differ
from forcebridge.sync.filters import AccountGate
from forcebridge.sync.mapper import FieldError, Mapper, MappingError


@dataclass
class PreparedBatch:
    new: list[Diffed] = field(default_factory=list)
    changed: list[Diffed] = field(default_factory=list)
    unchanged: list[Diffed] = field(default_factory=list)
    errors: list[MappingError] = field(default_factory=list)
    filtered: int = 0

    @property
    def to_send(self) -> list[Diffed]:
        return self.new + self.changed


def prepare(
    batch: list[SourceRecord], gate: AccountGate, mapper: Mapper, differ: Differ
) -> PreparedBatch:
    """One source batch through filter -> map -> hash -> classify.

    A key seen earlier in the run is an error of the later record: sending both would make
    Salesforce reject or overwrite one of them at random.
    """
    duplicates = differ.see(batch)
    errors = [
        MappingError(r.key, [FieldError("key", "the key appears more than once in the source")],
                     r.line)
        for r in duplicates
    ]
    if duplicates:
        later = {id(r) for r in duplicates}
        batch = [r for r in batch if id(r) not in later]
    kept, filtered = gate.split(batch)
    mapped, failed = mapper.map_batch(kept)
    out = PreparedBatch(errors=errors + failed, filtered=filtered)
    lists = {Change.NEW: out.new, Change.CHANGED: out.changed, Change.UNCHANGED: out.unchanged}
    for record in differ.diff(mapped):
        lists[record.change].append(record)
    return out


def prepare_all(
    batches: Iterable[list[SourceRecord]], gate: AccountGate, mapper: Mapper, differ: Differ
) -> Iterator[PreparedBatch]:
    """`prepare` over a whole source; marks the differ finished once the source is done."""
    for batch in batches:
        yield prepare(batch, gate, mapper, differ)
    differ.finish()
