"""Skipping unchanged source rows before mapping: a raw-row hash salted with the mapping."""

from __future__ import annotations

from typing import Any

from forcebridge.sources.base import SourceRecord
from forcebridge.sync.diff import DictState, Differ, SyncedState, raw_hash
from forcebridge.sync.filters import AccountFilter
from forcebridge.sync.mapper import Mapper, compile_mapping
from forcebridge.sync.mapping import MappingSpec, SyncMode
from forcebridge.sync.prepare import PreparedBatch, mapping_fingerprint, prepare
from forcebridge.sync.schema import DescribedField

SPEC: dict[str, Any] = {
    "target": {"object": "Balance__c", "external_id_field": "External_Id__c"},
    "mappings": [
        {"field": "External_Id__c", "column": "id"},
        {"field": "Amount__c", "column": "amount", "transform": {"type": "number", "scale": 2}},
    ],
}


class CountingMapper(Mapper):
    """A mapper that counts the records it was asked to map."""

    mapped = 0

    def map_batch(self, records: Any) -> Any:
        records = list(records)
        CountingMapper.mapped += len(records)
        return super().map_batch(records)


def mapper_of(spec: MappingSpec) -> CountingMapper:
    m = compile_mapping(spec)
    return CountingMapper(spec, m._steps, m._auto, m._used)


def once(rows: list[dict[str, Any]], state: dict[str, SyncedState], spec: MappingSpec,
         schema: Any = None) -> PreparedBatch:
    """One run: prepare, then confirm what was sent (as the runner does)."""
    mapper = mapper_of(spec)
    differ = Differ(DictState(state), scope=mapper.scope,
                    fingerprint=mapping_fingerprint(spec, schema, SyncMode.UPSERT))
    batch = [SourceRecord(r["id"], None, dict(r), i + 1) for i, r in enumerate(rows)]
    out = prepare(batch, AccountFilter().gate(), mapper, differ)
    for d in out.to_send:
        state[d.key] = SyncedState(d.hash, f"a00{d.key}", d.raw_hash)
    for key, raw in out.refresh:
        state[key] = SyncedState(state[key].hash, state[key].salesforce_id, raw)
    return out


ROWS = [{"id": "B1", "amount": 10}, {"id": "B2", "amount": 20}]


def test_unchanged_rows_are_skipped_without_mapping() -> None:
    spec = MappingSpec.model_validate(SPEC)
    state: dict[str, SyncedState] = {}
    first = once(ROWS, state, spec)
    assert [d.key for d in first.new] == ["B1", "B2"]
    assert all(s.raw_hash for s in state.values())
    CountingMapper.mapped = 0
    second = once(ROWS, state, spec)
    assert second.skipped == 2 and not second.to_send and not second.unchanged
    assert CountingMapper.mapped == 0


def test_a_changed_row_is_mapped_and_resent() -> None:
    spec = MappingSpec.model_validate(SPEC)
    state: dict[str, SyncedState] = {}
    once(ROWS, state, spec)
    CountingMapper.mapped = 0
    out = once([ROWS[0], {"id": "B2", "amount": 21}], state, spec)
    assert out.skipped == 1 and [d.key for d in out.changed] == ["B2"]
    assert CountingMapper.mapped == 1


def test_a_changed_mapping_maps_again_and_resends() -> None:
    spec = MappingSpec.model_validate(SPEC)
    state: dict[str, SyncedState] = {}
    once(ROWS, state, spec)
    changed = {**SPEC, "mappings": [*SPEC["mappings"], {"field": "Name", "constant": "x"}]}
    out = once(ROWS, state, MappingSpec.model_validate(changed))
    assert out.skipped == 0 and [d.key for d in out.changed] == ["B1", "B2"]


def test_an_unmapped_column_change_maps_once_then_refreshes_the_raw_hash() -> None:
    spec = MappingSpec.model_validate(SPEC)
    state: dict[str, SyncedState] = {}
    once(ROWS, state, spec)
    rows = [{**r, "note": "unmapped"} for r in ROWS]
    out = once(rows, state, spec)
    assert out.skipped == 0 and not out.to_send and len(out.unchanged) == 2
    assert sorted(k for k, _ in out.refresh) == ["B1", "B2"]
    assert once(rows, state, spec).skipped == 2


def test_state_without_raw_hash_is_compared_by_payload() -> None:
    spec = MappingSpec.model_validate(SPEC)
    state: dict[str, SyncedState] = {}
    once(ROWS, state, spec)
    state = {k: SyncedState(s.hash, s.salesforce_id) for k, s in state.items()}  # pre-0005 rows
    out = once(ROWS, state, spec)
    assert out.skipped == 0 and not out.to_send and len(out.refresh) == 2


def _describe(length: int) -> Any:
    fields = [
        {"name": "Id", "type": "id", "createable": False, "updateable": False, "nillable": False},
        {"name": "External_Id__c", "type": "string", "length": 20, "externalId": True,
         "createable": True, "updateable": True, "nillable": True},
        {"name": "Amount__c", "type": "currency", "precision": length, "scale": 2,
         "createable": True, "updateable": True, "nillable": True},
    ]
    return _Schema("Balance__c", fields)


class _Schema:
    def __init__(self, name: str, fields: list[dict[str, Any]]) -> None:
        self.name = name
        self.fields = [DescribedField(f) for f in fields]

    def field(self, name: str) -> Any:
        return next((f for f in self.fields if f.name.lower() == name.lower()), None)


def test_fingerprint_follows_spec_mode_and_describe() -> None:
    spec = MappingSpec.model_validate(SPEC)
    base = mapping_fingerprint(spec, None, SyncMode.UPSERT)
    assert base == mapping_fingerprint(MappingSpec.model_validate(SPEC), None, SyncMode.UPSERT)
    assert base != mapping_fingerprint(spec, None, SyncMode.MIRROR)
    described = mapping_fingerprint(spec, _describe(18), SyncMode.UPSERT)
    assert described != base
    assert described == mapping_fingerprint(spec, _describe(18), SyncMode.UPSERT)
    assert described != mapping_fingerprint(spec, _describe(10), SyncMode.UPSERT)


def test_raw_hash_depends_on_values_and_salt() -> None:
    assert raw_hash({"a": 1}, b"s") == raw_hash({"a": 1}, b"s")
    assert raw_hash({"a": 1}, b"s") != raw_hash({"a": 2}, b"s")
    assert raw_hash({"a": 1}, b"s") != raw_hash({"a": 1}, b"t")
    assert raw_hash({"a": 1}, b"s") != raw_hash({"a": "1"}, b"s")
