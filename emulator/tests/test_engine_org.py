"""The org's write rules: validation codes, defaults, system fields, recycle bin.

Codes and wording: REQUIRED_FIELD_MISSING and ENTITY_IS_DELETED as recorded (sf-recordings README
facts 6/8, restforce-db cassette); DUPLICATE_VALUE as captured in ReVoman graph-response-error.json;
INVALID_FIELD "No such column" as in restforce write_error_response.json. Others follow the
SOAP API Developer Guide "StatusCode" list (no public recording, see README).
"""

from __future__ import annotations

from typing import Any

import pytest

from forcebridge_emulator import _ids as ids
from forcebridge_emulator._errors import ApiError, SaveResult
from forcebridge_emulator._org import Org


@pytest.fixture
def org() -> Org:
    return Org.demo()


def only_error(result: SaveResult) -> tuple[str, str, list[str]]:
    assert not result.success
    assert len(result.errors) == 1, result.errors
    e = result.errors[0]
    return e.status_code, e.message, e.fields


def account(org: Org, **values: Any) -> str:
    result = org.insert("Account", {"Name": "Acme", **values})
    assert result.success, result.errors
    assert result.id is not None
    return result.id


def test_insert_fills_every_field_and_system_fields(org: Org) -> None:
    rid = account(org, BillingCity="Lyon")
    rec = org.get("Account", rid)
    assert ids.is_valid(rid) and rid.startswith("001")
    assert set(org.schema.objects["Account"].fields) == set(rec)
    assert rec["Phone"] is None and rec["IsDeleted"] is False
    assert rec["OwnerId"] == org.acting_user == rec["CreatedById"] == rec["LastModifiedById"]
    assert rec["CreatedDate"] == rec["SystemModstamp"]
    assert rec["CreatedDate"].endswith(".000+0000") and len(rec["CreatedDate"]) == 28
    assert rec["BillingAddress"]["city"] == "Lyon"
    assert rec["ShippingAddress"] is None


def test_acting_user_can_be_given_per_write(org: Org) -> None:
    other = ids.IdFactory(pod="9z").new("005")
    rid = org.insert("Account", {"Name": "A"}, user_id=other).id
    assert rid is not None
    assert org.get("Account", rid)["OwnerId"] == other


def test_required_field_missing(org: Org) -> None:
    assert only_error(org.insert("Account", {"Phone": "1"})) == (
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [Name]",
        ["Name"],
    )
    assert only_error(org.insert("Lead", {}))[2] == ["LastName", "Company"]
    assert org.insert("Case", {}).success
    # An empty string is null to Salesforce, so it does not satisfy a required field.
    assert only_error(org.insert("Account", {"Name": ""}))[0] == "REQUIRED_FIELD_MISSING"
    rid = account(org)
    assert only_error(org.update("Account", rid, {"Name": None}))[0] == "REQUIRED_FIELD_MISSING"


def test_unknown_field(org: Org) -> None:
    assert only_error(org.insert("Account", {"Name": "A", "Foo": 1})) == (
        "INVALID_FIELD",
        "No such column 'Foo' on sobject of type Account",
        [],
    )


def test_fields_are_case_insensitive(org: Org) -> None:
    rid = org.insert("Account", {"name": "lower", "EXTERNAL_ID__C": "x1"}).id
    assert rid is not None
    rec = org.get("account", rid)
    assert rec["Name"] == "lower" and rec["External_Id__c"] == "x1"


def test_read_only_fields(org: Org) -> None:
    code, message, fields = only_error(org.insert("Case", {"CaseNumber": "1"}))
    assert code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert message == (
        "Unable to create/update fields: CaseNumber. Please check the security settings of this "
        "field and verify that it is read/write for your profile or permission set."
    )
    assert fields == ["CaseNumber"]
    rid = account(org)
    assert only_error(org.update("Account", rid, {"CreatedDate": "2020-01-01T00:00:00Z"}))[0] == (
        "INVALID_FIELD_FOR_INSERT_UPDATE"
    )
    # Wording as quoted from real orgs: "INVALID_FIELD_FOR_INSERT_UPDATE, cannot specify Id in an
    # insert call: [Id]" (opfocus.com "Understanding Cannot Specify Id on Insert Exception").
    assert only_error(org.insert("Account", {"Name": "A", "Id": rid})) == (
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "cannot specify Id in an insert call",
        ["Id"],
    )


def test_type_errors(org: Org) -> None:
    assert only_error(org.insert("Account", {"Name": "x" * 256}))[0] == "STRING_TOO_LONG"
    assert only_error(org.insert("Account", {"Name": "A", "NumberOfEmployees": "abc"})) == (
        "INVALID_TYPE_ON_FIELD_IN_RECORD", "Employees: value not of required type: abc",
        ["NumberOfEmployees"],
    )  # fmt: skip
    assert only_error(org.insert("Contact", {"LastName": "L", "Email": "nope"}))[0] == (
        "INVALID_EMAIL_ADDRESS"
    )
    result = org.insert("Invoice__c", {"Status__c": "Lost"})
    assert only_error(result) == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "Status: bad value for restricted picklist field: Lost",
        ["Status__c"],
    )


def test_references(org: Org) -> None:
    acc = account(org)
    ok = org.insert("Contact", {"LastName": "L", "AccountId": acc[:15]})
    assert ok.success and ok.id is not None
    assert org.get("Contact", ok.id)["AccountId"] == acc  # stored in 18-char form
    assert only_error(org.insert("Contact", {"LastName": "L", "AccountId": "xyz"}))[0] == (
        "MALFORMED_ID"
    )
    missing = ids.IdFactory(pod="zz").new("001")
    assert only_error(org.insert("Contact", {"LastName": "L", "AccountId": missing})) == (
        "INVALID_CROSS_REFERENCE_KEY",
        "invalid cross reference id",
        ["AccountId"],
    )
    assert only_error(org.insert("Contact", {"LastName": "L", "AccountId": ok.id}))[0] == (
        "FIELD_INTEGRITY_EXCEPTION"
    )
    org.delete("Account", acc)
    assert only_error(org.insert("Contact", {"LastName": "L", "AccountId": acc}))[0] == (
        "ENTITY_IS_DELETED"
    )


def test_foreign_key_by_external_id(org: Org) -> None:
    acc = account(org, acme__Account_Id__c="ACME-1")
    result = org.insert("acme__Balance__c", {
        "acme__Account__r": {"acme__Account_Id__c": "acme-1"}, "acme__Amount__c": 10,
    })  # fmt: skip
    assert result.success and result.id is not None
    assert org.get("acme__Balance__c", result.id)["acme__Account__c"] == acc
    bad = org.insert("acme__Balance__c", {"acme__Account__r": {"acme__Account_Id__c": "nope"}})
    assert only_error(bad) == (
        "INVALID_FIELD",
        "Foreign key external ID: nope not found for field acme__Account_Id__c in entity Account",
        [],
    )


def test_duplicate_value_on_unique_fields(org: Org) -> None:
    first = account(org, External_Id__c="E-1")
    code, message, _ = only_error(org.insert("Account", {"Name": "B", "External_Id__c": "e-1"}))
    assert code == "DUPLICATE_VALUE"
    assert message == (
        f"duplicate value found: External_Id__c duplicates value on record with id: {first}"
    )
    second = account(org, External_Id__c="E-2")
    assert only_error(org.update("Account", second, {"External_Id__c": "E-1"}))[0] == (
        "DUPLICATE_VALUE"
    )
    assert org.update("Account", first, {"External_Id__c": "E-1"}).success  # itself is fine


def test_update_errors(org: Org) -> None:
    rid = account(org)
    assert only_error(org.update("Account", "bogus", {"Name": "B"}))[0] == "MALFORMED_ID"
    unknown = ids.IdFactory(pod="zz").new("001")
    assert only_error(org.update("Account", unknown, {"Name": "B"}))[0] == "NOT_FOUND"
    assert org.update("Account", rid, {"Name": "B", "Id": rid}).success
    assert org.get("Account", rid)["Name"] == "B"


def test_get_errors_match_real_answers(org: Org) -> None:
    with pytest.raises(ApiError) as exc:
        org.get("Account", "abc")
    assert exc.value.status == 404 and exc.value.error_code == "NOT_FOUND"
    assert (
        exc.value.message == "Provided external ID field does not exist or is not accessible: abc"
    )
    with pytest.raises(ApiError) as exc:
        org.get("Account", ids.IdFactory(pod="zz").new("001"))
    assert (exc.value.status, exc.value.message) == (404, "The requested resource does not exist")
    with pytest.raises(ApiError) as exc:
        org.get("Nope__c", "001")
    assert exc.value.status == 404


def test_auto_number_and_defaults(org: Org) -> None:
    first = org.insert("Case", {"Subject": "a"}).id
    second = org.insert("Case", {"Subject": "b"}).id
    assert first is not None and second is not None
    n1 = org.get("Case", first)["CaseNumber"]
    n2 = org.get("Case", second)["CaseNumber"]
    assert len(n1) == 8 and n1.isdigit() and int(n2) == int(n1) + 1
    assert org.find_by_external_id("Case", "CaseNumber", n1) == [first]
    assert org.get("Case", first)["Status"] == "New"  # the picklist's default value
    inv = org.insert("Invoice__c", {}).id
    assert inv is not None
    rec = org.get("Invoice__c", inv)
    assert rec["Paid__c"] is False and rec["Name"] == inv  # custom object Name defaults to the Id


def test_contact_and_lead_names_are_composed(org: Org) -> None:
    cid = org.insert("Contact", {"FirstName": "Ada", "LastName": "Lovelace"}).id
    assert cid is not None
    assert org.get("Contact", cid)["Name"] == "Ada Lovelace"
    org.update("Contact", cid, {"FirstName": None})
    assert org.get("Contact", cid)["Name"] == "Lovelace"
    assert only_error(org.insert("Contact", {"LastName": "X", "Name": "Y"}))[0] == (
        "INVALID_FIELD_FOR_INSERT_UPDATE"
    )


def test_delete_recycle_bin_and_undelete(org: Org) -> None:
    rid = account(org, External_Id__c="D-1")
    assert org.count("Account") == 1
    assert org.delete(None, rid).success  # object resolved from the key prefix
    assert org.count("Account") == 0
    with pytest.raises(ApiError) as exc:
        org.get("Account", rid)
    assert exc.value.body() == [
        {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    ]
    assert only_error(org.delete("Account", rid))[0] == "ENTITY_IS_DELETED"
    assert only_error(org.update("Account", rid, {"Name": "x"}))[0] == "ENTITY_IS_DELETED"
    assert [r["Id"] for r in org.iter_records("Account")] == []
    assert [r["Id"] for r in org.iter_records("Account", include_deleted=True)] == [rid]
    hit = org.record_by_id(rid)
    assert hit is not None and hit[0] == "Account" and hit[1]["IsDeleted"] is True
    # A deleted record's unique value is free again, and blocks its undelete.
    other = account(org, External_Id__c="D-1")
    assert only_error(org.undelete(rid))[0] == "DUPLICATE_VALUE"
    org.delete("Account", other)
    assert org.undelete(rid).success
    assert org.get("Account", rid)["IsDeleted"] is False


def test_platform_events_accept_inserts_only(org: Org) -> None:
    result = org.insert("Acme_Event__e", {"Kind__c": "created", "Payload__c": "{}"})
    assert result.success and result.id is not None and ids.is_valid(result.id)
    assert org.events["Acme_Event__e"][0]["Kind__c"] == "created"
    assert not org.insert("Acme_Event__e", {}).success  # Kind__c is required
    assert not org.update("Acme_Event__e", result.id, {"Kind__c": "x"}).success
    assert not org.delete("Acme_Event__e", result.id).success


def test_users_and_organization_exist(org: Org) -> None:
    user = org.config.users[0]
    rec = org.get("User", user.user_id)
    assert rec["Username"] == "demo@forcebridge.example"
    assert org.get("Organization", org.config.org_id)["Id"] == org.config.org_id
    assert org.config.org_id.startswith("00D") and ids.is_valid(org.config.org_id)
    assert not org.insert("User", {"LastName": "x"}).success


def test_every_createable_object_takes_a_minimal_record(org: Org) -> None:
    acc = account(org)
    filler = {"reference": acc, "date": "2024-01-02", "picklist": None}
    for obj in org.schema:
        if not obj.createable:
            continue
        values: dict[str, Any] = {}
        for name in obj.required_fields:
            f = obj.fields[name]
            values[name] = filler.get(f.type, "x")
            if f.type == "picklist":
                values[name] = f.picklist_values[0]["value"]
        result = org.insert(obj.name, values)
        assert result.success, (obj.name, result.errors)


def test_contract_defaults(org: Org) -> None:
    rid = org.insert("Contract", {"AccountId": account(org), "BillingCity": "Oslo"}).id
    assert rid is not None and rid.startswith("800")
    rec = org.get("Contract", rid)
    assert rec["Status"] == "Draft" and rec["ContractNumber"].isdigit()
    assert rec["BillingAddress"]["city"] == "Oslo"
    assert only_error(org.insert("Contract", {}))[2] == ["AccountId"]


def test_clock_drives_system_timestamps() -> None:
    now = [1_700_000_000.0]
    org = Org(Org.demo().config, clock=lambda: now[0])
    rid = org.insert("Account", {"Name": "A"}).id
    assert rid is not None
    assert org.get("Account", rid)["CreatedDate"] == "2023-11-14T22:13:20.000+0000"
    now[0] += 61
    org.update("Account", rid, {"Name": "B"})
    rec = org.get("Account", rid)
    assert rec["LastModifiedDate"] == rec["SystemModstamp"] == "2023-11-14T22:14:21.000+0000"
    assert rec["CreatedDate"] == "2023-11-14T22:13:20.000+0000"
