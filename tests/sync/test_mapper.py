"""Mapping specs and the compiled mapper: payloads, namespaces, references, auto-mapping, errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from forcebridge.sources.base import SourceRecord
from forcebridge.sync.mapper import MappingError, compile_mapping, reference_names
from forcebridge.sync.mapping import FieldMapping, MappingSpec, SyncMode
from forcebridge.sync.schema import DescribedObject
from tests.sync.recorded import add_field, raw_describe

ACME = {"kind": "managed", "prefix": "acme"}


def spec(mappings: list[dict[str, Any]], **target: Any) -> MappingSpec:
    t = {"object": "Account", "external_id_field": "External_Id__c", **target}
    return MappingSpec.model_validate({"target": t, "mappings": mappings})


def record(key: str | None = "K-1", line: int = 2, **values: Any) -> SourceRecord:
    return SourceRecord(key, None, values, line)


def account_with_package() -> DescribedObject:
    """The recorded Account describe plus a managed package's fields (modelled on real ones)."""
    raw = raw_describe("Account")
    add_field(raw, "AccountNumber", "acme__External_Id__c", externalId=True, idLookup=True,
              unique=True)
    add_field(raw, "AnnualRevenue", "acme__Balance__c", precision=16, scale=2)
    add_field(raw, "ParentId", "acme__Parent_Account__c", relationshipName="acme__Parent_Account__r")
    return DescribedObject(raw)


# --- specs --------------------------------------------------------------------------------

def test_spec_from_yaml_round_trips() -> None:
    text = """
target: {object: Balance__c, external_id_field: External_Id__c,
         namespace: {kind: managed, prefix: acme}}
mappings:
  - {field: External_Id__c, column: id}
  - {field: Amount__c, column: balance, transform: {type: number, scale: 2}}
  - {field: Source__c, constant: forcebridge}
  - {field: Account__c, column: account, transform: {type: reference, external_id_field: External_Id__c}}
auto_map: true
timezone: Europe/Berlin
"""
    parsed = MappingSpec.model_validate(yaml.safe_load(text))
    assert parsed.mappings[1].transform is not None and parsed.mappings[1].transform.type == "number"
    assert MappingSpec.model_validate(parsed.model_dump()) == parsed


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"field": "Name"}, "exactly one of column or constant"),
        ({"field": "Name", "column": "a", "constant": "b"}, "exactly one of column or constant"),
        ({"field": "Name", "column": "a", "colour": "red"}, "Extra inputs are not permitted"),
        ({"field": "Name", "column": "a", "transform": {"type": "upper"}}, "does not match any"),
        ({"field": "D", "column": "a", "transform": {"type": "datetime"}}, "timezone"),
        ({"field": "D", "column": "a", "transform": {"type": "datetime", "timezone": "Mars/Base"}},
         "unknown time zone"),
        ({"field": "N", "column": "a", "transform": {"type": "number", "scale": -1}}, "greater"),
        ({"field": "", "column": "a"}, "at least 1"),
    ],
)
def test_invalid_mappings(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FieldMapping.model_validate(mapping)


def test_constant_null_is_allowed() -> None:
    assert FieldMapping(field="Description", constant=None).is_constant


# --- mapping without a describe -----------------------------------------------------------

def test_payload_without_describe_uses_values_as_they_are() -> None:
    mapper = compile_mapping(spec([
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "name"},
        {"field": "NumberOfEmployees", "column": "staff"},
        {"field": "Since__c", "column": "since"},
        {"field": "Rating", "constant": "Hot"},
    ]))
    out = mapper.map(record(id="K-1", name="Acme", staff=Decimal("12"), since=date(2020, 5, 1)))
    assert out.key == "K-1"
    assert out.payload == {"External_Id__c": "K-1", "Name": "Acme", "NumberOfEmployees": 12,
                           "Since__c": "2020-05-01", "Rating": "Hot"}


def test_nulls_and_missing_columns_clear_the_field() -> None:
    mapper = compile_mapping(spec([{"field": "Name", "column": "name"},
                                   {"field": "Phone", "column": "phone"}]))
    assert mapper.map(record(name=None)).payload == {"Name": None, "Phone": None}


def test_namespace_applies_to_payload_fields_and_references() -> None:
    mapper = compile_mapping(spec(
        [
            {"field": "External_Id__c", "column": "id"},
            {"field": "Name", "column": "name"},
            {"field": "Amount__c", "column": "amount", "transform": {"type": "number", "scale": 2}},
            {"field": "Account__r", "column": "account",
             "transform": {"type": "reference", "external_id_field": "External_Id__c"}},
        ],
        object="Balance__c", namespace=ACME,
    ))
    out = mapper.map(record(id="B-1", name="Jan", amount="10.005", account="A-1"))
    assert mapper.object_name == "acme__Balance__c"
    assert mapper.external_id_field == "acme__External_Id__c"
    assert out.payload == {
        "acme__External_Id__c": "B-1",
        "Name": "Jan",
        "acme__Amount__c": 10.01,
        "acme__Account__r": {"acme__External_Id__c": "A-1"},
    }


def test_reference_by_lookup_field_name_and_null_reference() -> None:
    mapper = compile_mapping(spec(
        [{"field": "Account__c", "column": "account",
          "transform": {"type": "reference", "external_id_field": "External_Id__c"}}],
        object="Balance__c", namespace=ACME,
    ))
    assert mapper.map(record(account=17)).payload == {
        "acme__Account__r": {"acme__External_Id__c": 17}}
    # clearing a lookup sets the lookup field itself to null
    assert mapper.map(record(account=None)).payload == {"acme__Account__c": None}


def test_reference_names() -> None:
    assert reference_names("acme__Account__c", None) == ("acme__Account__r", "acme__Account__c")
    assert reference_names("Account__r", None) == ("Account__r", "Account__c")
    assert reference_names("AccountId", None) == ("Account", "AccountId")
    assert reference_names("Parent", None) == ("Parent", "ParentId")


# --- errors -------------------------------------------------------------------------------

def test_errors_name_key_field_and_reason_and_never_stop_the_batch() -> None:
    mapper = compile_mapping(spec([
        {"field": "External_Id__c", "column": "id"},
        {"field": "Active__c", "column": "active", "transform": {"type": "boolean"}},
        {"field": "Amount__c", "column": "amount", "transform": {"type": "number", "scale": 2}},
    ], namespace=ACME))
    records = [
        record("K-1", 2, id="K-1", active="yes", amount="1"),
        record("K-2", 3, id="K-2", active="perhaps", amount="lots"),
        record("K-3", 4, id="K-3", active="n", amount="2.5"),
        record(None, 5, id=None, active="y", amount="3"),
    ]
    mapped, failed = mapper.map_batch(records)
    assert [m.key for m in mapped] == ["K-1", "K-3"]
    assert [m.payload["acme__Active__c"] for m in mapped] == [True, False]
    first, second = failed
    assert first.key == "K-2" and first.line == 3
    assert [(e.field, e.reason.split(":")[0]) for e in first.errors] == [
        ("acme__Active__c", "not a boolean (true/false, yes/no, y/n, 1/0)"),
        ("acme__Amount__c", "not a number"),
    ]
    assert "record 'K-2'" in first.message and "acme__Amount__c" in first.message
    assert first.details[0] == {"key": "K-2", "line": 3, "field": "acme__Active__c",
                                "reason": "not a boolean (true/false, yes/no, y/n, 1/0): 'perhaps'"}
    assert second.key is None and second.errors[0].field == "key"
    assert "record on line 5" in second.message


def test_map_raises_one_error_for_the_record() -> None:
    mapper = compile_mapping(spec([{"field": "Amount__c", "column": "a",
                                    "transform": {"type": "number"}}]))
    with pytest.raises(MappingError, match="Amount__c: not a number"):
        mapper.map(record(a="x"))


# --- with a describe ----------------------------------------------------------------------

def test_describe_drives_lengths_scales_and_types() -> None:
    account = account_with_package()
    mapper = compile_mapping(spec([
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "name"},  # string(255)
        {"field": "BillingCity", "column": "city", "transform": {"type": "text", "truncate": True}},
        {"field": "NumberOfEmployees", "column": "staff"},  # int
        {"field": "Balance__c", "column": "balance"},  # currency scale 2
        {"field": "AnnualRevenue", "column": "revenue"},  # currency scale 0 in the recording
    ], namespace=ACME), account)
    out = mapper.map(record(id="K-1", name="Acme", city="x" * 100, staff="12.5", balance="3.145",
                            revenue="1000.5"))
    assert out.payload == {
        "acme__External_Id__c": "K-1", "Name": "Acme", "BillingCity": "x" * 40,
        "NumberOfEmployees": 13, "acme__Balance__c": 3.15, "AnnualRevenue": 1001,
    }
    with pytest.raises(MappingError, match="256 characters, the field allows 255"):
        mapper.map(record(id="K-2", name="n" * 256))


def test_required_field_left_empty_is_a_record_error() -> None:
    mapper = compile_mapping(spec([{"field": "Name", "column": "name"}]), account_with_package())
    with pytest.raises(MappingError, match="Name: required field is empty"):
        mapper.map(record(name=None))


def test_reference_with_describe_uses_the_relationship_name() -> None:
    mapper = compile_mapping(spec([
        {"field": "Parent", "column": "parent",
         "transform": {"type": "reference", "external_id_field": "External_Id__c"}},
        {"field": "Parent_Account__c", "column": "pa",
         "transform": {"type": "reference", "external_id_field": "External_Id__c"}},
    ], namespace=ACME), account_with_package())
    assert mapper.map(record(parent="P-1", pa="P-2")).payload == {
        "Parent": {"acme__External_Id__c": "P-1"},
        "acme__Parent_Account__r": {"acme__External_Id__c": "P-2"},
    }
    assert mapper.map(record(parent=None, pa=None)).payload == {
        "ParentId": None, "acme__Parent_Account__c": None}


def test_auto_map_fills_writable_fields_named_like_columns() -> None:
    s = MappingSpec.model_validate({
        "target": {"object": "Account", "external_id_field": "External_Id__c", "namespace": ACME},
        "mappings": [{"field": "External_Id__c", "column": "id"}, {"field": "Name", "column": "n"}],
        "auto_map": True,
    })
    mapper = compile_mapping(s, account_with_package(), SyncMode.UPSERT)
    out = mapper.map(record(id="K-1", n="Acme", phone="555", numberofemployees="7",
                            Balance__c="2.5", CreatedDate="2024-01-01", name="ignored",
                            nothing="x"))
    # CreatedDate is not writable; "name" is taken by an explicit mapping; "nothing" is no field
    assert out.payload == {"acme__External_Id__c": "K-1", "Name": "Acme", "Phone": "555",
                           "NumberOfEmployees": 7, "acme__Balance__c": 2.5}


def test_auto_map_is_opt_in() -> None:
    mapper = compile_mapping(spec([{"field": "Name", "column": "n"}]), account_with_package())
    assert mapper.map(record(n="Acme", Phone="555")).payload == {"Name": "Acme"}


def test_auto_datetime_uses_the_spec_time_zone() -> None:
    raw = raw_describe("Account")
    add_field(raw, "CreatedDate", "Synced_At__c", createable=True, updateable=True)
    s = MappingSpec.model_validate({
        "target": {"object": "Account"}, "timezone": "Europe/Berlin",
        "mappings": [{"field": "Synced_At__c", "column": "at"}],
    })
    mapper = compile_mapping(s, DescribedObject(raw))
    assert mapper.map(record(at="2024-01-31 11:00")).payload == {
        "Synced_At__c": "2024-01-31T10:00:00.000+0000"}


def test_namespaced_reference_payload_uses_the_recorded_relationship_name() -> None:
    # the recorded Account has ns__LinkedAccount__c with relationshipName LinkedAccount
    mapper = compile_mapping(
        spec([{"field": "LinkedAccount__c", "column": "linked",
               "transform": {"type": "reference", "external_id_field": "External_Id__c"}}],
             namespace={"kind": "managed", "prefix": "ns"}),
        DescribedObject(raw_describe("Account")),
    )
    assert mapper.map(record(linked="A-9")).payload == {
        "LinkedAccount": {"ns__External_Id__c": "A-9"}}
    assert mapper.map(record(linked=None)).payload == {"ns__LinkedAccount__c": None}


def test_a_driver_row_maps_by_position_as_its_dict_would() -> None:
    """SQL sources hand rows, not dicts: the mapper reads them by position, and a column the
    row lacks is empty as in a dict."""
    m = compile_mapping(spec([
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "name"},
        {"field": "Description", "column": "absent"},
        {"field": "Site", "constant": "HQ"},
        {"field": "AnnualRevenue", "column": "revenue", "transform": {"type": "number", "scale": 2}},
    ]))
    columns = ["revenue", "id", "name"]
    for row in [(12.345, "K-1", "Acme"), (None, "K-2", "Beta")]:
        as_row = m.map(SourceRecord(row[1], None, None, 2, row, columns))
        as_dict = m.map(record(row[1], **dict(zip(columns, row, strict=True))))
        assert as_row == as_dict
    assert as_row.payload == {"External_Id__c": "K-2", "Name": "Beta", "Description": None,
                              "Site": "HQ", "AnnualRevenue": None}
    other = ["id", "name", "revenue"]  # another source's layout is indexed afresh
    assert m.map(SourceRecord("K-3", None, None, 2, ("K-3", "C", 1), other)).payload[
        "AnnualRevenue"] == 1.0


def test_a_batch_of_driver_rows_maps_as_record_by_record() -> None:
    """`map_batch` reads a batch of rows by position in one C call per row: the same payloads
    and errors as `map` record by record, across layouts, empty values and bad ones."""
    m = compile_mapping(spec([
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "name"},
        {"field": "AnnualRevenue", "column": "revenue", "transform": {"type": "number", "scale": 2}},
    ]))
    columns, other = ["revenue", "id", "name"], ["id", "name", "revenue"]
    batch = [
        SourceRecord("K-1", None, None, 1, (12.345, "K-1", "Acme"), columns),
        SourceRecord("K-2", None, None, 2, (None, "K-2", "Beta"), columns),  # an empty value
        SourceRecord("K-3", None, None, 3, ("lots", "K-3", "Gamma"), columns),  # not a number
        SourceRecord(None, None, None, 4, (1, None, "Delta"), columns),  # no key
        SourceRecord("K-5", None, None, 5, ("K-5", "Eps", 7), other),  # another layout
        SourceRecord("K-6", None, None, 6, (2.5, "K-6", "Zeta"), columns),  # back again
    ]
    mapped, failed = m.map_batch(batch)
    one_by_one = []
    for r in batch:
        try:
            one_by_one.append(m.map(r))
        except MappingError:
            pass
    assert mapped == one_by_one
    assert [r.payload["AnnualRevenue"] for r in mapped] == [12.35, None, 7, 2.5]
    assert [(e.key, [f.field for f in e.errors]) for e in failed] == [
        ("K-3", ["AnnualRevenue"]), (None, ["key"])]


def test_a_one_column_mapping_maps_rows_in_a_batch() -> None:
    m = compile_mapping(spec([{"field": "External_Id__c", "column": "id"}]))
    mapped, failed = m.map_batch([SourceRecord("K-1", None, None, 1, ("K-1", "x"), ["id", "n"])])
    assert [r.payload for r in mapped] == [{"External_Id__c": "K-1"}] and failed == []
