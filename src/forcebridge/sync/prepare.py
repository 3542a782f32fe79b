"""Source batches to Salesforce-ready batches: filter, map, hash, classify. No I/O.

This is the CPU half of an entity-sync run; the runner feeds it a source's batches and sends
`new` and `changed` records to Salesforce, records `errors` as events, and counts `unchanged`
and `filtered`. Every source key is marked seen before filtering and mapping, so mirror mode
deletes only what truly left the source.

With a `Differ.fingerprint` (`mapping_fingerprint`), rows whose raw values are unchanged since
their last confirmed write are counted in `skipped` without being mapped; mapped records that
turn out unchanged while their raw hash moved are listed in `refresh` (key, raw hash) so the
caller can store the new raw hash. A differ that `hold`s (a reconciling run) lists such rows
in `held` instead, unmapped, to be checked against the org's copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from forcebridge import __version__
from forcebridge.sources.base import SourceRecord
from forcebridge.sync.diff import Change, Diffed, Differ, Held
from forcebridge.sync.filters import AccountGate
from forcebridge.sync.mapper import (
    FieldError,
    Mapper,
    MappingError,
    auto_candidates,
    find_field,
)
from forcebridge.sync.mapping import MappingSpec, SyncMode
from forcebridge.sync.schema import FieldSchema, ObjectSchema, precision_scale

# bump when mapping code changes what a given row and mapping produce
_MAPPING_LOGIC = "1"
_FIELD_ATTRIBUTES = ("name", "type", "createable", "updateable", "nillable",
                     "defaulted_on_create", "length", "relationship_name")


def _field_facts(field: FieldSchema | None) -> Any:
    if field is None:
        return None
    facts: dict[str, Any] = {a: getattr(field, a) for a in _FIELD_ATTRIBUTES}
    facts["precision_scale"] = precision_scale(field)
    return facts


def mapping_fingerprint(
    spec: MappingSpec, schema: ObjectSchema | None, mode: SyncMode
) -> str:
    """What a payload depends on besides the row: the spec, the mode, the describe attributes
    the mapper reads of the fields it maps (all auto-map candidates when auto-mapping) and
    the forcebridge version. Salts raw-row hashes: when any of it changes, rows are mapped
    and compared again instead of being skipped."""
    facts: dict[str, Any] = {
        "logic": _MAPPING_LOGIC, "version": __version__, "mode": str(mode),
        "spec": spec.model_dump(mode="json"),
    }
    if schema is not None:
        ns = spec.target.namespace
        facts["fields"] = [_field_facts(find_field(schema, ns.apply(m.field)))
                           for m in spec.mappings]
        if spec.auto_map:
            candidates = auto_candidates(schema, mode)
            facts["auto"] = [_field_facts(candidates[k]) for k in sorted(candidates)]
    blob = orjson.dumps(facts, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


@dataclass
class PreparedBatch:
    new: list[Diffed] = field(default_factory=list)
    changed: list[Diffed] = field(default_factory=list)
    unchanged: list[Diffed] = field(default_factory=list)
    errors: list[MappingError] = field(default_factory=list)
    filtered: int = 0
    skipped: int = 0  # raw row unchanged: not mapped, counts as unchanged
    refresh: list[tuple[str, str]] = field(default_factory=list)  # (key, new raw hash)
    held: list[Held] = field(default_factory=list)  # raw row unchanged, held unmapped (hold)

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
    held: list[Held] = []
    if differ.hold is not None:
        to_map, held, known, raw = differ.hold_unchanged(kept)
        skipped = 0
    else:
        to_map, skipped, known, raw = differ.skip_unchanged(kept)
    mapped, failed = mapper.map_batch(to_map)
    out = PreparedBatch(errors=errors + failed, filtered=filtered, skipped=skipped, held=held)
    lists = {Change.NEW: out.new, Change.CHANGED: out.changed, Change.UNCHANGED: out.unchanged}
    for record in differ.diff(mapped, known, raw):
        lists[record.change].append(record)
    if raw:
        for record in out.unchanged:
            state = known.get(record.key)
            if record.raw_hash is not None and state is not None \
                    and state.raw_hash != record.raw_hash:
                out.refresh.append((record.key, record.raw_hash))
    return out


def prepare_all(
    batches: Iterable[list[SourceRecord]], gate: AccountGate, mapper: Mapper, differ: Differ
) -> Iterator[PreparedBatch]:
    """`prepare` over a whole source; marks the differ finished once the source is done."""
    for batch in batches:
        yield prepare(batch, gate, mapper, differ)
    differ.finish()
