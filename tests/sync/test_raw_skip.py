"""Skipping unchanged source rows before mapping: a raw-row hash salted with the mapping."""

from __future__ import annotations

from typing import Any

from forcebridge.sources.base import SourceRecord
from forcebridge.sync.diff import DictState, Differ, SyncedState
from forcebridge.sync.filters import AccountFilter
from forcebridge.sync.mapper import Mapper, compile_mapping
from forcebridge.sync.mapping import MappingSpec, SyncMode
from forcebridge.sync.prepare import PreparedBatch, mapping_fingerprint, prepare
from forcebridge.sync.raw import RawHasher
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


def test_raw_hash_depends_on_values_salt_and_key() -> None:
    def digest(key: str, values: dict[str, Any], salt: bytes = b"s") -> str:
        return RawHasher(salt)(SourceRecord(key, None, values, 1))

    assert digest("K", {"a": 1}) == digest("K", {"a": 1})
    assert digest("K", {"a": 1}) != digest("K", {"a": 2})
    assert digest("K", {"a": 1}) != digest("K", {"a": 1}, b"t")
    assert digest("K", {"a": 1}) != digest("K", {"a": "1"})
    assert digest("K", {"a": 1}) != digest("L", {"a": 1})  # a hash names one key's row
    row = SourceRecord("K", None, None, 1, ("K", 1), ["id", "a"])
    assert RawHasher(b"s").many([row]) == [RawHasher(b"s")(row)]


def test_equal_rows_of_two_keys_are_told_apart() -> None:
    """Records whose values leave out the key (a push source) hash apart all the same, so one
    key's stored hash never lets another key's row be skipped."""
    spec = MappingSpec.model_validate({**SPEC, "mappings": [
        {"field": "External_Id__c", "constant": "x"},
        {"field": "Amount__c", "column": "amount", "transform": {"type": "number", "scale": 2}},
    ]})
    state: dict[str, SyncedState] = {}
    mapper = mapper_of(spec)

    def run(records: list[SourceRecord]) -> PreparedBatch:
        differ = Differ(DictState(state), scope=mapper.scope,
                        fingerprint=mapping_fingerprint(spec, None, SyncMode.UPSERT))
        return prepare(records, AccountFilter().gate(), mapper, differ)

    for d in run([SourceRecord("A", None, {"amount": 1}, 1)]).to_send:
        state[d.key] = SyncedState(d.hash, "a00A", d.raw_hash)
    out = run([SourceRecord("A", None, {"amount": 1}, 1), SourceRecord("B", None, {"amount": 1}, 2)])
    assert out.skipped == 1 and [d.key for d in out.new] == ["B"]


def rows_of(columns: list[str], rows: list[tuple[Any, ...]]) -> list[SourceRecord]:
    """Records as a SQL source hands them: the driver's rows and one shared column list."""
    return [SourceRecord(r[0], None, None, i + 1, r, columns) for i, r in enumerate(rows)]


def test_a_row_record_builds_its_values_only_when_asked() -> None:
    record = rows_of(["id", "amount"], [("B1", 10)])[0]
    assert record.row == ("B1", 10) and record._values is None
    assert record.values == {"id": "B1", "amount": 10}
    assert record == SourceRecord("B1", None, {"id": "B1", "amount": 10}, 1)


def run_rows(columns: list[str], rows: list[tuple[Any, ...]], state: dict[str, SyncedState],
             spec: MappingSpec) -> PreparedBatch:
    mapper = mapper_of(spec)
    differ = Differ(DictState(state), scope=mapper.scope,
                    fingerprint=mapping_fingerprint(spec, None, SyncMode.UPSERT))
    out = prepare(rows_of(columns, rows), AccountFilter().gate(), mapper, differ)
    for d in out.to_send:
        state[d.key] = SyncedState(d.hash, f"a00{d.key}", d.raw_hash)
    for key, raw in out.refresh:
        state[key] = SyncedState(state[key].hash, state[key].salesforce_id, raw)
    return out


def test_row_records_are_skipped_on_their_row_and_column_names() -> None:
    spec = MappingSpec.model_validate(SPEC)
    state: dict[str, SyncedState] = {}
    rows = [("B1", 10, "x"), ("B2", 20, "y")]
    assert len(run_rows(["id", "amount", "note"], rows, state, spec).new) == 2
    CountingMapper.mapped = 0
    again = run_rows(["id", "amount", "note"], rows, state, spec)
    assert again.skipped == 2 and CountingMapper.mapped == 0
    changed = run_rows(["id", "amount", "note"], [rows[0], ("B2", 21, "y")], state, spec)
    assert changed.skipped == 1 and [d.key for d in changed.changed] == ["B2"]
    # the same values under other column names are another row: mapped again, not skipped
    renamed = run_rows(["id", "amount", "memo"], [rows[0], ("B2", 21, "y")], state, spec)
    assert renamed.skipped == 0 and not renamed.to_send and len(renamed.refresh) == 2


def test_a_reconciling_differ_holds_unchanged_rows_unmapped_with_their_state() -> None:
    """A row is held (not mapped) only when its raw hash is the one stored, the state holds
    the digests of its last write and its external id value is known without mapping."""
    from forcebridge.sync.diff import Held
    from forcebridge.sync.readback import Compared

    spec = MappingSpec.model_validate(SPEC)
    state: dict[str, SyncedState] = {}
    once([*ROWS, {"id": "B3", "amount": 30}, {"id": "B4", "amount": 40}], state, spec)
    stamp = Compared(("Amount__c",), ("number",)).stamp({"Amount__c": 1})
    state = {k: s._replace(digests=None if k == "B2" else stamp) for k, s in state.items()}
    mapper = mapper_of(spec)
    mapper_counted = CountingMapper.mapped
    differ = Differ(DictState(state), scope=mapper.scope, track_seen=False,
                    fingerprint=mapping_fingerprint(spec, None, SyncMode.UPSERT),
                    hold=mapper.field_of("External_Id__c"))
    rows = [{"id": "B1", "amount": 10},  # held
            {"id": "B2", "amount": 20},  # no digests kept: mapped
            {"id": "B3", "amount": 31},  # changed in the source: mapped
            {"id": "B4", "amount": 40},  # held
            {"id": "B5", "amount": 50}]  # new: mapped
    batch = [SourceRecord(r["id"], None, dict(r), i + 1) for i, r in enumerate(rows)]
    out = prepare(batch, AccountFilter().gate(), mapper, differ)
    assert [(h.record.key, h.external_id, h.state.salesforce_id) for h in out.held] == [
        ("B1", "B1", "a00B1"), ("B4", "B4", "a00B4")]
    assert all(isinstance(h, Held) and h.state.digests == stamp for h in out.held)
    assert CountingMapper.mapped - mapper_counted == 3
    assert [d.key for d in out.unchanged] == ["B2"]
    assert [d.key for d in out.changed] == ["B3"] and [d.key for d in out.new] == ["B5"]
    assert out.skipped == 0


def test_one_field_of_a_record_without_mapping_the_others() -> None:
    spec = MappingSpec.model_validate({
        "target": {"object": "Balance__c", "external_id_field": "External_Id__c"},
        "mappings": [
            {"field": "External_Id__c", "column": "id",
             "transform": {"type": "text", "strip": True}},
            {"field": "Amount__c", "column": "amount", "transform": {"type": "number"}},
            {"field": "Kind__c", "constant": "x"},
        ],
    })
    mapper = compile_mapping(spec)
    ext = mapper.field_of("External_Id__c")
    assert ext is not None
    by_position = SourceRecord("B1", None, {}, 1, row=(" B1 ", "bad"), columns=["id", "amount"])
    assert ext(by_position) == "B1"  # the amount that would fail mapping is never read
    assert ext(SourceRecord("B2", None, {"id": "B2 "}, 2)) == "B2"
    assert ext(SourceRecord("B3", None, {"id": None}, 3)) is None
    assert mapper.field_of("Kind__c") is None  # a constant: no column to read
    assert mapper.field_of("Nope__c") is None
