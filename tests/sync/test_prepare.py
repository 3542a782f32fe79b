"""The CPU half of a run end to end: a CSV source through filter, mapping and diff, twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcebridge.sources import CsvSource, CsvSourceSpec, SourceError
from forcebridge.sync.diff import DictState, Differ, SyncedState
from forcebridge.sync.filters import AccountFilter
from forcebridge.sync.mapper import compile_mapping
from forcebridge.sync.mapping import MappingSpec
from forcebridge.sync.prepare import PreparedBatch, prepare_all

SPEC = MappingSpec.model_validate({
    "target": {"object": "Balance__c", "external_id_field": "External_Id__c",
               "namespace": {"kind": "managed", "prefix": "acme"}},
    "mappings": [
        {"field": "External_Id__c", "column": "id"},
        {"field": "Amount__c", "column": "amount", "transform": {"type": "number", "scale": 2}},
        {"field": "Account__c", "column": "account",
         "transform": {"type": "reference", "external_id_field": "External_Id__c"}},
    ],
})


def run(path: Path, state: dict[str, SyncedState], restricted: list[str] | None = None,
        ) -> tuple[list[PreparedBatch], Differ]:
    source = CsvSource(CsvSourceSpec(name="files", path=path.name, key_column="id",
                                     account_column="account"), path)
    gate = AccountFilter(restricted_account_ids=restricted or []).gate()
    mapper = compile_mapping(SPEC)
    differ = Differ(DictState(state), scope=mapper.scope)
    return list(prepare_all(source.batches(2), gate, mapper, differ)), differ


def confirm(batches: list[PreparedBatch], state: dict[str, SyncedState]) -> None:
    """What the runner does once Salesforce accepted the writes."""
    for b in batches:
        for d in b.to_send:
            state[d.key] = SyncedState(d.hash, f"a00{d.key}")


def test_two_runs_then_mirror(tmp_path: Path) -> None:
    path = tmp_path / "balances.csv"
    path.write_text("id,account,amount\nB1,A1,10\nB2,A1,20\nB3,A2,oops\nB4,A3,40\nB5,A2,50\n")
    state: dict[str, SyncedState] = {}

    batches, differ = run(path, state, restricted=["A3"])
    assert [d.key for b in batches for d in b.new] == ["B1", "B2", "B5"]
    assert [e.key for b in batches for e in b.errors] == ["B3"]
    assert sum(b.filtered for b in batches) == 1
    assert batches[0].new[0].payload == {
        "acme__External_Id__c": "B1", "acme__Amount__c": 10.0,
        "acme__Account__r": {"acme__External_Id__c": "A1"}}
    confirm(batches, state)

    # second run: B2 changed, B1 unchanged, B3 fixed (new), B5 gone, B4 still filtered
    path.write_text("id,account,amount\nB1,A1,10.00\nB2,A1,21\nB3,A2,30\nB4,A3,40\n")
    batches, differ = run(path, state, restricted=["A3"])
    assert [d.key for b in batches for d in b.unchanged] == ["B1"]
    changed = [d for b in batches for d in b.changed]
    assert [(d.key, d.salesforce_id) for d in changed] == [("B2", "a00B2")]
    assert [d.key for b in batches for d in b.new] == ["B3"]
    # mirror: only B5 left the source; filtered B4 and failed records are still "in" it
    assert differ.finished
    assert list(differ.deleted(state)) == ["B5"]


def test_a_failing_source_never_reaches_mirror_deletion(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("id,account,amount\nB1,A1,10\nB2,A1\n")
    source = CsvSource(CsvSourceSpec(name="files", path=path.name, key_column="id"), path)
    differ = Differ(DictState({"B1": SyncedState("x"), "B9": SyncedState("y")}))
    with pytest.raises(SourceError, match="line 3"):
        for _ in prepare_all(source.batches(1), AccountFilter().gate(), compile_mapping(SPEC),
                             differ):
            pass
    assert not differ.finished
    with pytest.raises(RuntimeError):
        list(differ.deleted(["B9"]))


def test_duplicate_keys_are_errors_of_the_later_records(tmp_path: Path) -> None:
    path = tmp_path / "dups.csv"
    path.write_text("id,account,amount\nB1,A1,1\nB2,A1,2\nB1,A1,3\nB3,A1,4\nB2,A9,5\n")
    batches, _ = run(path, {}, restricted=["A9"])
    assert [(d.key, d.payload["acme__Amount__c"]) for b in batches for d in b.new] == [
        ("B1", 1.0), ("B2", 2.0), ("B3", 4.0)]
    errors = [e for b in batches for e in b.errors]
    assert [(e.key, e.line, e.errors[0].reason) for e in errors] == [
        ("B1", 4, "the key appears more than once in the source"),
        ("B2", 6, "the key appears more than once in the source"),
    ]
