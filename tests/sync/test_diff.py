"""Payload hashes and change detection: new, changed, unchanged, deleted (mirror)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from forcebridge.sources.base import SourceRecord
from forcebridge.sync.diff import Change, DictState, Differ, SyncedState, payload_hash
from forcebridge.sync.mapper import MappedRecord


def mapped(key: str, **payload: object) -> MappedRecord:
    return MappedRecord(key, dict(payload), 1)


def test_hash_is_stable_and_ignores_key_order() -> None:
    a = payload_hash({"Name": "Acme", "Amount__c": 1.5, "Account__r": {"Ext__c": "A", "B": 1}})
    b = payload_hash({"Account__r": {"B": 1, "Ext__c": "A"}, "Amount__c": 1.5, "Name": "Acme"})
    assert a == b
    assert len(a) == 32 and int(a, 16) >= 0


def test_hash_distinguishes_values_and_types() -> None:
    base = payload_hash({"A": "1"})
    assert payload_hash({"A": 1}) != base
    assert payload_hash({"A": None}) != base
    assert payload_hash({"A": "1", "B": None}) != base  # clearing a field is a change


def test_hash_matches_canonical_json_definition() -> None:
    import hashlib

    import orjson

    payload = {"b": 2, "a": [1, "x"], "c": {"z": None, "y": True}}
    expected = hashlib.blake2b(b'S\0{"a":[1,"x"],"b":2,"c":{"y":true,"z":null}}',
                               digest_size=16).hexdigest()
    assert orjson.dumps(payload, option=orjson.OPT_SORT_KEYS) == \
        b'{"a":[1,"x"],"b":2,"c":{"y":true,"z":null}}'
    assert payload_hash(payload, "S") == expected


def test_new_changed_unchanged() -> None:
    previous = {
        "K-1": SyncedState(payload_hash({"Name": "Same"}), "001000000000001AAA"),
        "K-2": SyncedState(payload_hash({"Name": "Old"}), "001000000000002AAA"),
    }
    differ = Differ(DictState(previous))
    out = differ.diff([mapped("K-1", Name="Same"), mapped("K-2", Name="New"),
                       mapped("K-3", Name="Fresh")])
    assert [(d.key, d.change, d.salesforce_id) for d in out] == [
        ("K-1", Change.UNCHANGED, "001000000000001AAA"),
        ("K-2", Change.CHANGED, "001000000000002AAA"),
        ("K-3", Change.NEW, None),
    ]
    assert out[1].hash == payload_hash({"Name": "New"})


def source(*keys: str | None) -> list[SourceRecord]:
    return [SourceRecord(k, None, {}, i) for i, k in enumerate(keys, start=1)]


def test_deleted_keys_stream_after_the_source_finished() -> None:
    differ = Differ(DictState({}))
    differ.see(source("K-1", "K-3", "K-4", None))  # K-4 may have failed mapping: still there
    with pytest.raises(RuntimeError, match="read fully"):
        list(differ.deleted(["K-1"]))
    differ.finish()
    assert list(differ.deleted(iter(["K-1", "K-2", "K-3", "K-4", "K-5"]))) == ["K-2", "K-5"]


def test_without_tracking_nothing_is_kept() -> None:
    differ = Differ(DictState({}), track_seen=False)
    assert differ.see(source("K-2", "K-2")) == []
    assert differ.seen == set()
    differ.finish()
    with pytest.raises(RuntimeError, match="track_seen"):
        differ.deleted([])


def test_see_returns_later_occurrences_of_a_key() -> None:
    differ = Differ(DictState({}))
    assert differ.see(source("A", "B")) == []
    dups = differ.see(source("C", "A", "C", None, None))
    assert [(r.key, r.line) for r in dups] == [("A", 2), ("C", 3)]


def test_scope_changes_every_hash() -> None:
    payload = {"Name": "Acme"}
    assert payload_hash(payload, "Account/Ext__c") != payload_hash(payload, "Contact/Ext__c")
    previous = {"K": SyncedState(payload_hash(payload, "Account/Ext__c"))}
    assert Differ(DictState(previous), scope="Account/Ext__c").diff(
        [mapped("K", Name="Acme")])[0].change is Change.UNCHANGED
    assert Differ(DictState(previous), scope="Contact/Ext__c").diff(
        [mapped("K", Name="Acme")])[0].change is Change.CHANGED


def test_previous_state_is_asked_once_per_batch_with_its_keys() -> None:
    asked: list[list[str]] = []

    class Store:
        def lookup(self, keys: Sequence[str]) -> Mapping[str, SyncedState]:
            asked.append(list(keys))
            return {}

    differ = Differ(Store())
    differ.diff([mapped("A"), mapped("B")])
    differ.diff([mapped("C")])
    assert asked == [["A", "B"], ["C"]]

