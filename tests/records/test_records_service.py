"""Record operations through the service layer against the in-process emulator (demo org)."""

from __future__ import annotations

from typing import Any

import pytest

from forcebridge.errors import Conflict, InvalidInput, NotFound
from forcebridge.http_status import status_of
from forcebridge.services import objects, records
from forcebridge.services.records import SalesforceRejected
from tests.emulated_org import connect
from tests.records.conftest import Org

pytestmark = pytest.mark.anyio


async def _create(org: Org, sobject: str, **values: Any) -> str:
    saved = await records.create(org.rt, org.tenant_id, org.conn, sobject, values)
    assert saved.created and saved.id
    return saved.id


async def test_create_then_get_with_chosen_fields(org: Org) -> None:
    account_id = await _create(org, "Account", Name="Acme", Industry="Energy")
    assert org.emu.org.get("Account", account_id)["Name"] == "Acme"

    full = await records.get(org.rt, org.tenant_id, org.conn, "Account", account_id)
    assert full["Industry"] == "Energy" and "CreatedDate" in full

    some = await records.get(org.rt, org.tenant_id, org.conn, "account", account_id, ["Name"])
    assert {k for k in some if k != "attributes"} == {"Id", "Name"}


async def test_get_case_by_case_number_with_response_fields(org: Org) -> None:
    account_id = await _create(org, "Account", Name="Acme")
    case_id = await _create(org, "Case", Subject="Broken", AccountId=account_id)
    number = org.emu.org.get("Case", case_id)["CaseNumber"]

    found = await records.get_by(
        org.rt, org.tenant_id, org.conn, "Case", "casenumber", number, ["Subject", "Status"]
    )
    assert len(found) == 1
    assert {k for k in found[0] if k != "attributes"} == {"Id", "Subject", "Status"}
    assert found[0]["Id"] == case_id and found[0]["Subject"] == "Broken"

    with pytest.raises(NotFound, match="no Case has CaseNumber = '99999999'"):
        await records.get_by(org.rt, org.tenant_id, org.conn, "Case", "CaseNumber", "99999999")


async def test_update_by_id_and_by_external_id(org: Org) -> None:
    account_id = await _create(org, "Account", Name="Acme", External_Id__c="A-1")
    now = await records.update(
        org.rt, org.tenant_id, org.conn, "Account", account_id, {"Phone": "555"}
    )
    assert now["Id"] == account_id and now["Phone"] == "555" and now["Name"] == "Acme"
    assert org.emu.org.get("Account", account_id)["Phone"] == "555"

    now = await records.update_by(
        org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", "A-1", {"Name": "Acme 2"},
        ["Name", "Phone"],
    )  # fmt: skip
    assert now["Id"] == account_id and now["Name"] == "Acme 2" and now["Phone"] == "555"
    assert "External_Id__c" not in now
    assert org.emu.org.get("Account", account_id)["Name"] == "Acme 2"


async def test_update_by_external_id_never_creates(org: Org) -> None:
    with pytest.raises(NotFound, match="no Account has External_Id__c = 'missing'"):
        await records.update_by(
            org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", "missing", {"Name": "X"}
        )
    assert org.emu.org.count("Account") == 0


async def test_update_by_a_lookup_field_matching_several_is_a_conflict(org: Org) -> None:
    ids = [await _create(org, "Contact", LastName=n, Email="same@example.com") for n in "ab"]
    with pytest.raises(Conflict) as caught:
        await records.update_by(
            org.rt, org.tenant_id, org.conn, "Contact", "Email", "same@example.com", {"Title": "X"}
        )
    assert sorted(d["reason"].split()[-1] for d in caught.value.details) == sorted(ids)
    assert all(org.emu.org.get("Contact", i)["Title"] is None for i in ids)


async def test_upsert_by_external_id_creates_then_updates(org: Org) -> None:
    first = await records.upsert(
        org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", "A/1", {"Name": "Acme"}
    )
    assert first.created and first.id
    second = await records.upsert(
        org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", "A/1", {"Name": "Acme 2"}
    )
    assert not second.created and second.id == first.id
    stored = org.emu.org.get("Account", first.id)
    assert stored["Name"] == "Acme 2" and stored["External_Id__c"] == "A/1"
    assert org.emu.org.count("Account") == 1


async def test_delete_then_get_is_not_found(org: Org) -> None:
    account_id = await _create(org, "Account", Name="Acme")
    await records.delete(org.rt, org.tenant_id, org.conn, "Account", account_id)
    assert org.emu.org.count("Account") == 0
    with pytest.raises(SalesforceRejected) as caught:
        await records.get(org.rt, org.tenant_id, org.conn, "Account", account_id)
    assert isinstance(caught.value, NotFound) and caught.value.code in ("NOT_FOUND", "ENTITY_IS_DELETED")


@pytest.mark.parametrize(
    "call",
    [
        lambda o: records.create(o.rt, o.tenant_id, o.conn, "Nope__c", {"Name": "x"}),
        lambda o: records.get(o.rt, o.tenant_id, o.conn, "Nope__c", "001000000000000AAA"),
        lambda o: records.get_by(o.rt, o.tenant_id, o.conn, "Nope__c", "Id", "x"),
        lambda o: objects.list_fields(o.rt, o.tenant_id, o.conn, "Nope__c", "create"),
        lambda o: records.delete(o.rt, o.tenant_id, o.conn, "Nope__c", "001000000000000AAA"),
        # Not even a valid name: still "no such object", never a SOQL or URL problem.
        lambda o: records.get(o.rt, o.tenant_id, o.conn, "Acc ount", "001000000000000AAA"),
    ],
)
async def test_unknown_object_is_a_404_naming_it(org: Org, call: Any) -> None:
    with pytest.raises(NotFound, match=r"object '(Nope__c|Acc ount)' does not exist"):
        await call(org)


async def test_by_a_field_that_is_not_id_lookup_lists_the_valid_ones(org: Org) -> None:
    with pytest.raises(InvalidInput) as caught:
        await records.get_by(org.rt, org.tenant_id, org.conn, "Case", "Subject", "x")
    assert status_of(caught.value) == 422
    assert "'Subject' is not an id-lookup field of Case" in caught.value.message
    assert caught.value.details == [
        {"field": "Subject", "reason": "valid lookup fields: Id, CaseNumber"}
    ]
    with pytest.raises(InvalidInput, match="'Bogus' is not a field of Account"):
        await records.upsert(
            org.rt, org.tenant_id, org.conn, "Account", "Bogus", "1", {"Name": "x"}
        )
    with pytest.raises(InvalidInput, match="'Name' is not an id-lookup field of Account"):
        await records.update_by(org.rt, org.tenant_id, org.conn, "Account", "Name", "1", {"a": 1})


async def test_unknown_response_fields_are_named(org: Org) -> None:
    account_id = await _create(org, "Account", Name="Acme")
    with pytest.raises(InvalidInput) as caught:
        await records.get(
            org.rt, org.tenant_id, org.conn, "Account", account_id, ["Name", "Nope", "x' y"]
        )
    assert [d["field"] for d in caught.value.details] == ["Nope", "x' y"]


async def test_suggestions_are_filtered_by_operation(org: Org) -> None:
    def names(rows: list[dict[str, Any]]) -> list[str]:
        return [r["name"] for r in rows]

    create = await objects.list_fields(org.rt, org.tenant_id, org.conn, "Account", "create")
    assert "Name" in names(create) and "External_Id__c" in names(create)
    assert not {"Id", "CreatedDate", "IsDeleted"} & set(names(create))
    assert [r["name"] for r in create if r["required"]] == ["Name"]

    update = await objects.list_fields(org.rt, org.tenant_id, org.conn, "Case", "update")
    assert "Subject" in names(update) and "CaseNumber" not in names(update)
    assert not any(r["required"] for r in update)

    lookup = await objects.list_fields(org.rt, org.tenant_id, org.conn, "Case", "lookup")
    assert names(lookup) == ["Id", "CaseNumber"]
    every = await objects.list_fields(org.rt, org.tenant_id, org.conn, "Case")
    assert len(every) > len(update) > len(lookup)


async def test_objects_search(org: Org) -> None:
    found = await objects.list_objects(org.rt, org.tenant_id, org.conn, "INVOICE")
    assert [o["name"] for o in found] == ["Invoice__c"]
    assert found[0]["custom"] is True and found[0]["label"] == "Invoice"
    every = await objects.list_objects(org.rt, org.tenant_id, org.conn)
    assert {"Account", "Case", "Invoice__c"} <= {o["name"] for o in every}
    assert await objects.list_objects(org.rt, org.tenant_id, org.conn, "zzz") == []


# -- injection: a looked-up value is a literal, whatever it holds ---------------------------
INJECTIONS = [
    "x' OR Name != '",
    "' OR External_Id__c != '",
    "x\\' OR Name != \\'",
    "\\",
    "a\\",
    "\\' OR Id != null OR Name = \\'",
    "%",
]


@pytest.mark.parametrize("value", INJECTIONS)
async def test_injection_attempts_match_nothing(org: Org, value: str) -> None:
    await _create(org, "Account", Name="Victim", External_Id__c="V-1")
    with pytest.raises(NotFound):
        await records.get_by(org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", value)
    with pytest.raises(NotFound):
        await records.update_by(
            org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", value, {"Name": "Hit"}
        )
    names = [r["Name"] for r in org.emu.org.iter_records("Account")]
    assert names == ["Victim"]


@pytest.mark.parametrize("value", INJECTIONS)
async def test_injection_values_match_only_the_literal(org: Org, value: str) -> None:
    await _create(org, "Account", Name="Victim", External_Id__c="V-1")
    await _create(org, "Account", Name="Literal", External_Id__c=value)
    found = await records.get_by(
        org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", value, ["Name"]
    )
    assert [r["Name"] for r in found] == ["Literal"]
    await records.update_by(
        org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", value, {"Phone": "1"}
    )
    phones = {r["Name"]: r["Phone"] for r in org.emu.org.iter_records("Account")}
    assert phones == {"Victim": None, "Literal": "1"}
    saved = await records.upsert(
        org.rt, org.tenant_id, org.conn, "Account", "External_Id__c", value, {"Phone": "2"}
    )
    assert not saved.created
    assert {r["Name"]: r["Phone"] for r in org.emu.org.iter_records("Account")} == {
        "Victim": None,
        "Literal": "2",
    }


# -- Salesforce's refusals keep its code and fields ------------------------------------------
async def test_required_field_missing_keeps_salesforces_code_and_fields(org: Org) -> None:
    with pytest.raises(SalesforceRejected) as caught:
        await records.create(org.rt, org.tenant_id, org.conn, "Account", {"Industry": "Energy"})
    err = caught.value
    assert status_of(err) == 422 and err.code == "REQUIRED_FIELD_MISSING"
    assert err.details == [
        {
            "field": "Name",
            "reason": "Required fields are missing: [Name]",
            "code": "REQUIRED_FIELD_MISSING",
        }
    ]


async def test_restricted_picklist_and_unknown_field(org: Org) -> None:
    with pytest.raises(SalesforceRejected) as caught:
        await records.create(org.rt, org.tenant_id, org.conn, "Invoice__c", {"Status__c": "Lost"})
    assert status_of(caught.value) == 422
    assert caught.value.code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert caught.value.details[0]["field"] == "Status__c"
    with pytest.raises(SalesforceRejected) as caught:
        await records.create(org.rt, org.tenant_id, org.conn, "Account", {"Name": "a", "Nope": 1})
    assert status_of(caught.value) == 422 and caught.value.code == "INVALID_FIELD"


async def test_update_and_delete_of_missing_records(org: Org) -> None:
    account_id = await _create(org, "Account", Name="Acme")
    await records.delete(org.rt, org.tenant_id, org.conn, "Account", account_id)
    for call in (
        records.update(org.rt, org.tenant_id, org.conn, "Account", account_id, {"Name": "x"}),
        records.delete(org.rt, org.tenant_id, org.conn, "Account", account_id),
    ):
        with pytest.raises(SalesforceRejected) as caught:
            await call
        assert status_of(caught.value) == 404
        assert caught.value.code in ("NOT_FOUND", "ENTITY_IS_DELETED")


async def test_delete_refused_by_salesforce(org: Org) -> None:
    account_id = await _create(org, "Account", Name="Acme")
    await _create(org, "Case", Subject="open", AccountId=account_id)
    with pytest.raises(SalesforceRejected) as caught:
        await records.delete(org.rt, org.tenant_id, org.conn, "Account", account_id)
    assert status_of(caught.value) == 422 and caught.value.code == "DELETE_FAILED"
    assert org.emu.org.count("Account") == 1


async def test_a_connection_that_cannot_log_in_is_a_502_without_secrets(org: Org) -> None:
    from forcebridge.services import connections
    from forcebridge.services.connections import ConnectionInput

    with org.rt.db.begin() as s:
        connections.update(
            s, org.rt.vault, org.tenant_id, org.conn, ConnectionInput(password="hunter2-wrong")
        )
    with pytest.raises(SalesforceRejected) as caught:
        await records.get_by(org.rt, org.tenant_id, org.conn, "Case", "CaseNumber", "1")
    err = caught.value
    assert status_of(err) == 502 and err.code == "invalid_grant"
    assert "demo org" in err.message and "hunter2" not in repr(err.__dict__)


async def test_a_web_server_connection_never_authorized_is_refused_clearly(org: Org) -> None:
    with org.rt.db.begin() as s:
        connect(s, org.rt, org.tenant_id, org.emu, "web", "web_server")
    with pytest.raises(Conflict, match=r"connection 'web' cannot be used yet.*refresh_token"):
        await objects.list_objects(org.rt, org.tenant_id, "web")


async def test_unknown_connection_and_empty_values(org: Org) -> None:
    with pytest.raises(NotFound, match="connection 'other' not found"):
        await records.create(org.rt, org.tenant_id, "other", "Account", {"Name": "x"})
    with pytest.raises(InvalidInput, match="at least one field value"):
        await records.create(org.rt, org.tenant_id, org.conn, "Account", {})


def test_typed_values_follow_field_types() -> None:
    from forcebridge.salesforce import SObjectSchema

    schema = SObjectSchema.from_describe(
        {
            "name": "Invoice__c",
            "fields": [
                {"name": "Paid__c", "type": "boolean"},
                {"name": "Amount__c", "type": "currency"},
                {"name": "Count__c", "type": "int"},
                {"name": "Name", "type": "string"},
            ],
        }
    )
    typed = objects.typed_values(
        schema,
        {"Paid__c": "true", "Amount__c": "12.5", "Count__c": "3", "Name": "007", "X": "", "Y": "1"},
    )
    assert typed == {
        "Paid__c": True,
        "Amount__c": 12.5,
        "Count__c": 3,
        "Name": "007",
        "X": None,
        "Y": "1",
    }


async def test_lookup_without_fields_answers_whole_records_and_every_match(org: Org) -> None:
    ids = {await _create(org, "Contact", LastName=n, Email="same@example.com") for n in "ab"}
    found = await records.get_by(
        org.rt, org.tenant_id, org.conn, "Contact", "Email", "same@example.com"
    )
    assert {r["Id"] for r in found} == ids
    assert {"LastName", "Email", "AccountId", "CreatedDate"} <= set(found[0])
