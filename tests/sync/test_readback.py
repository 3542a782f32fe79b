"""What the org holds against what forcebridge would write: one text per field type, whatever
shape the org answered in (SOQL JSON or Bulk CSV); and what ownership lets a write carry."""

from __future__ import annotations

import pytest

from forcebridge.sync.diff import Change, Diffed
from forcebridge.sync.mapping import MappingSpec, SyncMode
from forcebridge.sync.ownership import Ownership
from forcebridge.sync.readback import canonical, compared_fields


@pytest.mark.parametrize(("payload", "org", "kind"), [
    (12.5, "12.50", "number"),  # Bulk CSV of a currency field
    (12.5, 12.5, "number"),  # SOQL JSON
    (1000, "1000.0", "number"),
    ("2024-01-31T10:00:00.000+0000", "2024-01-31T10:00:00.000Z", "datetime"),
    ("2024-01-31T10:00:00.000+0000", "2024-01-31T11:00:00.000+01:00", "datetime"),
    (True, "true", "boolean"),
    (None, "", "text"),
    ("007", "007", "text"),
])
def test_the_same_value_in_any_shape_compares_equal(payload: object, org: object, kind: str
                                                      ) -> None:
    assert canonical(payload, kind) == canonical(org, kind)


@pytest.mark.parametrize(("payload", "org", "kind"), [
    (12.5, "12.51", "number"),
    ("007", "7", "text"),
    (False, "true", "boolean"),
    ("x", "", "text"),
    ("2024-01-31T10:00:00.000+0000", "2024-01-31T10:00:01.000Z", "datetime"),
])
def test_a_different_value_is_a_difference(payload: object, org: object, kind: str) -> None:
    assert canonical(payload, kind) != canonical(org, kind)


def test_differing_names_the_fields_and_skips_external_id_and_references() -> None:
    compared = compared_fields(
        ["Number__c", "Amount__c", "Status__c", "Account__r"],
        {"Amount__c": "currency", "Status__c": "picklist"}, "Number__c", ["Account__r"])
    assert compared.fields == ("Amount__c", "Status__c")
    org = compared.pack({"Amount__c": "12.50", "Status__c": "Void", "Number__c": "other"})
    payload = {"Number__c": "N-1", "Amount__c": 12.5, "Status__c": "Sent",
               "Account__r": {"External_Id__c": "A-1"}}
    assert compared.differing(payload, org) == ["Status__c"]
    assert compared.differing({**payload, "Status__c": "Void"}, org) == []


SPEC = MappingSpec.model_validate({
    "target": {"object": "Invoice__c", "external_id_field": "Number__c"},
    "mappings": [
        {"field": "Number__c", "column": "n"},
        {"field": "Amount__c", "column": "a", "on_conflict": "keep"},
        {"field": "Status__c", "column": "s", "owner": "salesforce"},
        {"field": "Note__c", "column": "x", "on_conflict": "event"},
    ],
})
KEYS = ["Number__c", "Amount__c", "Status__c", "Note__c"]


def _record(change: Change) -> Diffed:
    payload = {"Number__c": "N", "Amount__c": 1, "Status__c": "Sent", "Note__c": "x"}
    return Diffed("N", payload, "h", change, None, 1)


@pytest.mark.parametrize(("mode", "new_keeps_status", "changed_keeps_status"), [
    (SyncMode.UPSERT, True, False),
    (SyncMode.MIRROR, True, False),
    (SyncMode.UPDATE, False, False),  # update mode only ever updates
])
def test_salesforce_owned_fields_are_left_out_of_updates(
    mode: SyncMode, new_keeps_status: bool, changed_keeps_status: bool,
) -> None:
    owned = Ownership.of(SPEC, KEYS)
    new, changed = owned.for_updates([_record(Change.NEW)], [_record(Change.CHANGED)], mode)
    assert ("Status__c" in new.payload) is new_keeps_status
    assert ("Status__c" in changed.payload) is changed_keeps_status
    assert changed.hash == "h" and changed.payload["Amount__c"] == 1


def test_drifted_fields_split_by_on_conflict() -> None:
    owned = Ownership.of(SPEC, KEYS)
    assert owned.drifted(["Amount__c", "Status__c", "Note__c", "Number__c"]) == \
        (["Number__c"], ["Amount__c"], ["Note__c"])
    assert owned.for_update(_record(Change.CHANGED).payload, frozenset({"Amount__c"})) == \
        {"Number__c": "N", "Note__c": "x"}


def test_digests_are_stable_and_every_way_of_taking_them_agrees() -> None:
    """The sync state keeps a written payload's digests for later runs (other processes):
    they are crc32 of the canonical text, and a payload's stamp, a batch's stamps and a Bulk
    CSV block's packs agree on equal values."""
    import struct
    from zlib import crc32

    from forcebridge.sync.readback import DIGESTS_TAG, Compared

    compared = Compared(("Name", "Amount__c", "At__c", "Paid__c"),
                        ("text", "number", "datetime", "boolean"))
    assert compared.pack({"Name": "x"}) == struct.pack("<4I", crc32(b"x"), 0, 0, 0)
    payloads = [
        {"Name": "A, Inc.", "Amount__c": 12.5, "At__c": "2024-01-31T10:00:00.000+0000",
         "Paid__c": True},
        {"Name": None, "Amount__c": None, "At__c": None, "Paid__c": False},  # nulls
        {"Name": 7, "Amount__c": 1000, "At__c": "2024-01-31T11:00:00+01:00", "Paid__c": None},
    ]
    stamps = compared.stamps(payloads)
    assert stamps == [compared.stamp(p) for p in payloads]
    assert compared.stamps([]) == []
    header = ["Id", "paid__c", "Name", "Amount__c", "At__c"]  # any order, any case
    csv_rows = [["a1", "true", "A, Inc.", "12.50", "2024-01-31T10:00:00.000Z"],
                ["a2", "false", "", "", ""],
                ["a3", "", "7", "1000.0", "2024-01-31T10:00:00.000Z"]]
    packed = compared.pack_rows(header, csv_rows)
    assert packed == [s[DIGESTS_TAG:] for s in stamps]
    assert all(compared.unchanged(s, p) for s, p in zip(stamps, packed, strict=True))
    assert not compared.unchanged(stamps[0], packed[1])  # other values
    assert not compared.unchanged(None, packed[0])  # written before digests were kept
    other = Compared(("Name", "Amount__c", "At__c", "Paid__c"),
                     ("text", "text", "datetime", "boolean"))  # compared another way
    assert other.pack(payloads[1]) == compared.pack(payloads[1])
    assert not other.unchanged(stamps[1], packed[1])
