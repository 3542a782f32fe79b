"""sObject Collections and Composite, end to end through HTTP.

Shapes: CumulusCI TestUpsert cassettes (collections upsert with `created`), restforce fixtures
(collections delete, "At least 1 Id is required."), camel and ReVoman composite captures
(PROCESSING_HALTED wording, sub-response keys). Where no recording exists (collections partial
failures, allOrNone rollback wording, the 200-record limit) the tests follow Salesforce's REST
API Developer Guide: "Create Multiple Records with Fewer Round-Trips"
(resources_composite_sobjects_collections_create.htm) and the SOAP API's AllOrNoneHeader page.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness.http_client import V, emulator_client

pytestmark = pytest.mark.anyio

ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}
HALTED = "The transaction was rolled back since another operation in the same transaction failed."


def acct(**values: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Account"}, **values}


async def test_create_partial_failure_is_200_with_status_codes() -> None:
    async with emulator_client() as c:
        records = [acct(Name="A"), acct(), {"attributes": {"type": "Contact"}, "LastName": "L"}]
        response = await c.post(f"{V}/composite/sobjects", json={"records": records})
        assert response.status_code == 200
        first, second, third = response.json()
        assert first["success"] is True and first["errors"] == [] and first["id"].startswith("001")
        assert second == {
            "success": False,
            "errors": [
                {
                    "statusCode": "REQUIRED_FIELD_MISSING",
                    "message": "Required fields are missing: [Name]",
                    "fields": ["Name"],
                }
            ],
        }
        assert third["id"].startswith("003")
        assert c.emulator.org.count("Account") == 1


async def test_create_all_or_none_rolls_back_the_others() -> None:
    async with emulator_client() as c:
        before = c.emulator.org.count("Account")
        records = [acct(Name="A"), acct(), acct(Name="C")]
        response = await c.post(
            f"{V}/composite/sobjects", json={"allOrNone": True, "records": records}
        )
        assert response.status_code == 200
        first, second, third = response.json()
        assert first == {"success": False, "errors": [ROLLED_BACK]}
        assert second["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
        assert third == {"success": False, "errors": [ROLLED_BACK]}
        assert c.emulator.org.count("Account") == before


async def test_limits_and_request_level_errors() -> None:
    async with emulator_client() as c:
        too_many = await c.post(f"{V}/composite/sobjects", json={"records": [acct(Name="x")] * 201})
        assert too_many.status_code == 400
        assert too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
        no_type = await c.post(f"{V}/composite/sobjects", json={"records": [{"Name": "x"}]})
        assert no_type.status_code == 400
        assert no_type.json()[0]["errorCode"] == "INVALID_TYPE"
        no_ids = await c.delete(f"{V}/composite/sobjects", params={"ids": ""})
        assert no_ids.status_code == 400
        assert no_ids.json() == [
            {"message": "At least 1 Id is required.", "errorCode": "REQUIRED_FIELD_MISSING"}
        ]


async def test_update_and_delete_collections() -> None:
    async with emulator_client() as c:
        created = await c.post(
            f"{V}/composite/sobjects", json={"records": [acct(Name="A"), acct(Name="B")]}
        )
        a, b = (r["id"] for r in created.json())
        updated = await c.patch(
            f"{V}/composite/sobjects",
            json={"records": [acct(Id=a, Name="A2"), acct(Name="no id")]},
        )
        assert updated.status_code == 200
        ok, missing = updated.json()
        assert ok == {"id": a, "success": True, "errors": []}
        assert missing["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
        assert c.emulator.org.get("Account", a)["Name"] == "A2"

        deleted = await c.delete(
            f"{V}/composite/sobjects", params={"ids": f"{a},{b},001000000000000AAA"}
        )
        assert deleted.status_code == 200
        results = deleted.json()
        assert [r["success"] for r in results] == [True, True, False]
        assert results[2]["id"] == "001000000000000AAA"
        assert results[2]["errors"][0]["statusCode"] == "NOT_FOUND"


async def test_upsert_collection_reports_created() -> None:
    async with emulator_client() as c:
        url = f"{V}/composite/sobjects/Account/External_Id__c"
        first = await c.patch(url, json={"records": [acct(Name="N", External_Id__c="U-1")]})
        assert first.json()[0]["created"] is True
        second = await c.patch(
            url,
            json={
                "allOrNone": False,
                "records": [
                    acct(Name="N2", External_Id__c="U-1"),
                    acct(Name="M", External_Id__c="U-2"),
                ],
            },
        )
        old, new = second.json()
        assert old == {"id": first.json()[0]["id"], "success": True, "errors": [], "created": False}
        assert new["created"] is True
        # CumulusCI TestUpsert: upsert keyed on Id with a null Id creates.
        by_id = await c.patch(
            f"{V}/composite/sobjects/Account/Id", json={"records": [acct(Name="S", Id=None)]}
        )
        assert by_id.json()[0]["created"] is True
        dup = await c.patch(
            url,
            json={
                "records": [acct(Name="x", External_Id__c="D"), acct(Name="y", External_Id__c="D")]
            },
        )
        assert [r["errors"][0]["statusCode"] for r in dup.json()] == ["DUPLICATE_EXTERNAL_ID"] * 2


async def test_composite_references_and_sub_responses() -> None:
    async with emulator_client() as c:
        body = {
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"{V}/sobjects/Account",
                    "referenceId": "acc",
                    "body": {"Name": "Composite"},
                },
                {
                    "method": "POST",
                    "url": f"{V}/sobjects/Contact",
                    "referenceId": "con",
                    "body": {"LastName": "C", "AccountId": "@{acc.id}"},
                },
                {
                    "method": "GET",
                    "url": f"{V}/sobjects/Account/@{{acc.id}}?fields=Name",
                    "referenceId": "get",
                },
                {"method": "GET", "url": f"{V}/sobjects/Foo", "referenceId": "missing"},
            ]
        }
        response = await c.post(f"{V}/composite", json=body)
        assert response.status_code == 200
        acc, con, get, missing = response.json()["compositeResponse"]
        assert set(acc) == {"body", "httpHeaders", "httpStatusCode", "referenceId"}
        assert acc["httpStatusCode"] == 201
        assert acc["httpHeaders"] == {"Location": f"{V}/sobjects/Account/{acc['body']['id']}"}
        assert c.emulator.org.get("Contact", con["body"]["id"])["AccountId"] == acc["body"]["id"]
        assert get["body"]["Name"] == "Composite"
        # CumulusCI TestCompositeParallelSalesforce.test_errors: a 404 inside a 200.
        assert missing == {
            "body": [
                {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
            ],
            "httpHeaders": {},
            "httpStatusCode": 404,
            "referenceId": "missing",
        }


async def test_composite_all_or_none_rollback_wording() -> None:
    async with emulator_client() as c:
        before = c.emulator.org.count("Account")
        body = {
            "allOrNone": True,
            "compositeRequest": [
                {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "one",
                 "body": {"Name": "One"}},
                {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "two",
                 "body": {"Phone": "1"}},
                {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "three",
                 "body": {"Name": "Three"}},
            ],
        }  # fmt: skip
        response = await c.post(f"{V}/composite", json=body)
        one, two, three = response.json()["compositeResponse"]
        # camel composite_response_example_failure.json / ReVoman graph-response-error.json
        for halted, ref in ((one, "one"), (three, "three")):
            assert halted == {
                "body": [{"errorCode": "PROCESSING_HALTED", "message": HALTED}],
                "httpHeaders": {},
                "httpStatusCode": 400,
                "referenceId": ref,
            }
        assert two["httpStatusCode"] == 400
        assert two["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
        assert c.emulator.org.count("Account") == before


async def test_composite_partial_success_halts_dependents() -> None:
    async with emulator_client() as c:
        body = {
            "allOrNone": False,
            "compositeRequest": [
                {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "bad",
                 "body": {}},
                {"method": "PATCH", "url": f"{V}/sobjects/Account/@{{bad.id}}",
                 "referenceId": "dependent", "body": {"Name": "x"}},
                {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "other",
                 "body": {"Name": "Other"}},
                {"method": "GET", "url": f"{V}/sobjects/Account/@{{other.nope}}",
                 "referenceId": "badref"},
            ],
        }  # fmt: skip
        response = await c.post(f"{V}/composite", json=body)
        bad, dependent, other, badref = response.json()["compositeResponse"]
        assert bad["httpStatusCode"] == 400
        # ReVoman query-response-partial-success.json wording
        assert dependent["body"] == [
            {
                "errorCode": "PROCESSING_HALTED",
                "message": "Execution halted as previous operation (bad) was not successful.",
            }
        ]
        assert other["httpStatusCode"] == 201
        assert badref["body"][0]["message"].startswith(
            "Invalid reference specified. No value for other.nope found in other."
        )


async def test_retrieve_several_records_by_get_and_post() -> None:
    async with emulator_client() as c:
        made = await c.post(
            f"{V}/composite/sobjects",
            json={"records": [{"attributes": {"type": "Account"}, "Name": n} for n in "ABC"]},
        )
        a, b, gone = (r["id"] for r in made.json())
        await c.delete(f"{V}/sobjects/Account/{gone}")
        contact = (await c.post(f"{V}/sobjects/Contact", json={"LastName": "Other"})).json()["id"]
        unknown = "001000000000000AAA"

        got = await c.get(
            f"{V}/composite/sobjects/Account",
            params={"ids": f"{b},{a},{gone},{contact},{unknown},nonsense", "fields": "id,Name"},
        )
        assert got.status_code == 200, got.text
        assert got.headers["Sforce-Limit-Info"].startswith("api-usage=")
        first, second, *missing = got.json()
        assert first == {
            "attributes": {"type": "Account", "url": f"{V}/sobjects/Account/{b}"},
            "Id": b,
            "Name": "B",
        }
        assert second["Name"] == "A"
        assert missing == [None, None, None, None]  # deleted, other object, unknown, malformed

        posted = await c.post(
            f"{V}/composite/sobjects/Account", json={"ids": [a], "fields": ["Name", "Phone"]}
        )
        assert posted.status_code == 200, posted.text
        assert posted.json() == [
            {
                "attributes": {"type": "Account", "url": f"{V}/sobjects/Account/{a}"},
                "Name": "A",
                "Phone": None,
                "Id": a,
            }
        ]

        bad_field = await c.get(
            f"{V}/composite/sobjects/Account", params={"ids": a, "fields": "Name,Nope__c"}
        )
        assert bad_field.status_code == 400
        assert bad_field.json()[0]["errorCode"] == "INVALID_FIELD"
        assert "Nope__c" in bad_field.json()[0]["message"]
        too_many = await c.post(
            f"{V}/composite/sobjects/Account", json={"ids": [a] * 2001, "fields": ["Name"]}
        )
        assert too_many.status_code == 400
        assert too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
        unknown_object = await c.get(
            f"{V}/composite/sobjects/Nope__c", params={"ids": a, "fields": "Name"}
        )
        assert unknown_object.status_code == 404
