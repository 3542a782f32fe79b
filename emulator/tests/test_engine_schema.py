"""Schema and describe: built from, and compared against, describes recorded from real orgs."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from recorded.recordings import RECORDINGS_DIR

from forcebridge_emulator._describe import describe_global, describe_sobject
from forcebridge_emulator._org import Org
from forcebridge_emulator._schema import FIELD_DEFAULTS

SHARED = RECORDINGS_DIR / "CumulusCI/cumulusci/tests/shared_cassettes"


def recorded(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((SHARED / f"GET_sobjects_{name}_describe.yaml").read_text())
    body: dict[str, Any] = json.loads(doc["response"]["body"]["string"])
    return body


@pytest.fixture(scope="module")
def org() -> Org:
    return Org.demo()


def test_required_on_create_matches_the_readme_facts(org: Org) -> None:
    # sf-recordings README, fact 6.
    assert org.schema.objects["Account"].required_fields == ["Name"]
    assert org.schema.objects["Contact"].required_fields == ["LastName"]
    assert org.schema.objects["Lead"].required_fields == ["LastName", "Company"]
    assert org.schema.objects["Case"].required_fields == []


def test_required_fields_computed_the_same_way_from_the_recordings() -> None:
    for name in ("Account", "Contact", "Lead", "Case", "Opportunity"):
        body = recorded(name)
        rule = [
            f["name"]
            for f in body["fields"]
            if f["createable"] and not f["nillable"] and not f["defaultedOnCreate"]
        ]
        assert Org.demo().schema.objects[name].required_fields == rule


@pytest.mark.parametrize(
    ("name", "version"),
    [("Account", "48.0"), ("Case", "48.0"), ("Lead", "59.0"), ("Contact", "59.0"),
     ("Opportunity", "59.0")],
)  # fmt: skip
def test_describe_key_sets_equal_the_recording(org: Org, name: str, version: str) -> None:
    body = recorded(name)
    mine = describe_sobject(org.schema.objects[name], version, "https://emu.example")
    assert set(mine) == set(body)
    assert set(mine["urls"]) == set(body["urls"])
    assert {len(f) for f in mine["fields"]} == {57}
    assert set(mine["fields"][0]) == set(body["fields"][0])
    assert set(mine["recordTypeInfos"][0]) == set(body["recordTypeInfos"][0])
    for rel in mine["childRelationships"]:
        assert set(rel) == set(body["childRelationships"][0])


@pytest.mark.parametrize("name", ["Account", "Contact", "Lead", "Case", "Opportunity"])
def test_standard_fields_render_exactly_as_recorded(org: Org, name: str) -> None:
    body = recorded(name)
    mine = {f["name"]: f for f in describe_sobject(org.schema.objects[name])["fields"]}
    standard = [f for f in body["fields"] if "__" not in f["name"]]
    assert standard
    for f in standard:
        assert mine[f["name"]] == f, f["name"]


def test_account_describe_urls_carry_the_requested_version(org: Org) -> None:
    body = recorded("Account")
    mine = describe_sobject(org.schema.objects["Account"], "48.0")
    assert mine["urls"]["describe"] == body["urls"]["describe"]
    assert mine["urls"]["rowTemplate"] == "/services/data/v48.0/sobjects/Account/{ID}"
    assert describe_sobject(org.schema.objects["Account"], "62.0")["urls"]["sobject"] == (
        "/services/data/v62.0/sobjects/Account"
    )


def test_custom_object_describe_has_the_recorded_custom_object_keys(org: Org) -> None:
    body = recorded("Custom__c")
    mine = describe_sobject(org.schema.objects["acme__Balance__c"], "62.0")
    assert set(mine) == set(body)
    assert mine["custom"] is True
    assert mine["keyPrefix"].startswith("a")


def test_describe_global_shape(org: Org) -> None:
    doc = yaml.safe_load((SHARED / "GET_sobjects_Global_describe.yaml").read_text())
    body = json.loads(doc["response"]["body"]["string"])
    mine = describe_global(org.schema, "52.0")
    assert set(mine) == set(body)
    rec = {s["name"]: s for s in body["sobjects"]}
    got = {s["name"]: s for s in mine["sobjects"]}
    assert got["Account"] == rec["Account"]
    assert set(got["Case"]["urls"]) == set(rec["Case"]["urls"])
    assert set(got["Acme_Event__e"]["urls"]) == {
        "describe",
        "eventSchema",
        "rowTemplate",
        "sobject",
    }
    assert "Invoice__c" in got


def test_custom_objects_have_the_system_fields(org: Org) -> None:
    obj = org.schema.get("ACME__BALANCE__C")
    assert obj is not None and obj.name == "acme__Balance__c"
    for name in ("Id", "Name", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedDate",
                 "LastModifiedById", "SystemModstamp", "IsDeleted"):  # fmt: skip
        assert name in obj.fields
    ref = obj.fields["acme__Account__c"]
    assert ref.reference_to == ["Account"] and ref.relationship_name == "acme__Account__r"
    assert obj.relationship("ACME__ACCOUNT__R") is ref
    assert obj.relationship("Owner") is obj.fields["OwnerId"]
    assert obj.fields["acme__External_Id__c"].external_id
    assert obj.fields["acme__External_Id__c"].id_lookup
    assert ref.referenceTo == ["Account"]  # camelCase describe names resolve too
    rels = org.schema.objects["Account"].child_relationships
    assert {"childSObject": "acme__Balance__c", "field": "acme__Account__c"}.items() <= next(
        r for r in rels if r["childSObject"] == "acme__Balance__c"
    ).items()


def test_namespaced_fields_on_standard_objects(org: Org) -> None:
    account = org.schema.objects["Account"]
    f = account.field("ACME__ACCOUNT_ID__C")
    assert f is not None and f.name == "acme__Account_Id__c" and f.custom and f.external_id
    assert f.describe["byteLength"] == 3 * f.length


def test_case_number_is_auto_number_and_id_lookup(org: Org) -> None:
    f = org.schema.objects["Case"].fields["CaseNumber"]
    assert f.auto_number and f.id_lookup and not f.createable


def test_contract_and_user(org: Org) -> None:
    contract = org.schema.objects["Contract"]
    assert contract.key_prefix == "800"
    assert contract.required_fields == ["AccountId"]
    assert contract.fields["Status"].default_picklist == "Draft"
    user = org.schema.objects["User"]
    assert user.key_prefix == "005" and not user.createable


def test_platform_event_is_insert_only(org: Org) -> None:
    ev = org.schema.objects["Acme_Event__e"]
    assert ev.is_platform_event and ev.createable
    assert not ev.updateable and not ev.deletable and not ev.queryable
    assert ev.key_prefix.startswith("e")


def test_every_rendered_field_uses_the_57_keys(org: Org) -> None:
    for obj in org.schema:
        for f in describe_sobject(obj)["fields"]:
            assert set(f) == set(FIELD_DEFAULTS), (obj.name, f["name"])
