"""Every REST error code a client must handle, end to end through HTTP, in Salesforce's shape:
a JSON array of `{message, errorCode, fields}` (README "Facts" 1).

Where no recording exists (most single-record 400s, UNABLE_TO_LOCK_ROW, REQUEST_LIMIT_EXCEEDED),
the codes and statuses follow Salesforce's REST API Developer Guide, "Status Codes and Error
Responses" (errorcodes.htm), and the SOAP API's StatusCode list for the codes themselves.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness.http_client import Client, V, emulator_client

from forcebridge_emulator._faults import FaultConfig
from forcebridge_emulator._org import Org
from forcebridge_emulator._orgfile import demo_config

pytestmark = pytest.mark.anyio


def only_error(body: Any) -> dict[str, Any]:
    assert isinstance(body, list) and len(body) == 1, body
    error: dict[str, Any] = body[0]
    assert set(error) <= {"message", "errorCode", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    return error


async def expect(
    response_coro: Any, status: int, code: str, fields: list[str] | None = None
) -> dict[str, Any]:
    response = await response_coro
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = only_error(response.json())
    assert error["errorCode"] == code
    if fields is not None:
        assert error["fields"] == fields
    return error


async def account(c: Client, **values: Any) -> str:
    response = await c.post(f"{V}/sobjects/Account", json={"Name": "Acme", **values})
    assert response.status_code == 201, response.text
    record_id: str = response.json()["id"]
    return record_id


async def test_field_validation_codes() -> None:
    async with emulator_client() as c:
        post = f"{V}/sobjects/Account"
        await expect(c.post(post, json={}), 400, "REQUIRED_FIELD_MISSING", ["Name"])
        error = await expect(c.post(post, json={"Name": "x", "Nope__c": 1}), 400, "INVALID_FIELD")
        assert "Nope__c" in error["message"]
        await expect(
            c.post(post, json={"Name": "x", "CreatedDate": "2020-01-01T00:00:00.000+0000"}),
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["CreatedDate"],
        )
        await expect(c.post(post, json={"Name": "x" * 256}), 400, "STRING_TOO_LONG", ["Name"])
        invoice = f"{V}/sobjects/Invoice__c"
        await expect(
            c.post(invoice, json={"Amount__c": "lots"}),
            400,
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            ["Amount__c"],
        )
        await expect(
            c.post(invoice, json={"Status__c": "Lost"}),
            400,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ["Status__c"],
        )


async def test_reference_and_identity_codes() -> None:
    async with emulator_client() as c:
        contact = f"{V}/sobjects/Contact"
        await expect(
            c.post(contact, json={"LastName": "x", "AccountId": "not-an-id"}),
            400,
            "MALFORMED_ID",
            ["AccountId"],
        )
        await expect(
            c.post(contact, json={"LastName": "x", "AccountId": "001000000000000AAA"}),
            400,
            "INVALID_CROSS_REFERENCE_KEY",
            ["AccountId"],
        )
        await expect(
            c.patch(f"{V}/sobjects/Account/003000000000000AAA", json={"Name": "x"}),
            400,
            "MALFORMED_ID",
        )
        # restforce delete_error_response.json: a segment that is no id reads as a field name
        await expect(c.delete(f"{V}/sobjects/Account/rid"), 404, "NOT_FOUND")
        await expect(c.get(f"{V}/sobjects/Account/001000000000000AAA"), 404, "NOT_FOUND")
        await expect(c.get(f"{V}/sobjects/Nope__c/001000000000000AAA"), 404, "NOT_FOUND")

        await account(c, External_Id__c="DUP")
        await expect(
            c.post(f"{V}/sobjects/Account", json={"Name": "y", "External_Id__c": "DUP"}),
            400,
            "DUPLICATE_VALUE",
        )

        record_id = await account(c)
        assert (await c.delete(f"{V}/sobjects/Account/{record_id}")).status_code == 204
        # restforce-db cassette: 404 [{"message":"entity is deleted",...,"fields":[]}]
        error = await expect(
            c.delete(f"{V}/sobjects/Account/{record_id}"), 404, "ENTITY_IS_DELETED", []
        )
        assert error["message"] == "entity is deleted"
        await expect(
            c.patch(f"{V}/sobjects/Account/{record_id}", json={"Name": "z"}),
            404,
            "ENTITY_IS_DELETED",
        )


async def test_json_parser_error() -> None:
    async with emulator_client() as c:
        # Wording quoted by public API tests run against real orgs (Jackson's messages).
        error = await expect(
            c.post(f"{V}/sobjects/Account", content=b"{name: 1}"), 400, "JSON_PARSER_ERROR"
        )
        assert error["message"] == (
            "Unexpected character ('n' (code 110)): was expecting double-quote to start field "
            "name at [line:1, column:3]"
        )
        trailing = await expect(
            c.post(f"{V}/sobjects/Account", content=b'{\n"Name": "x",\n}'), 400, "JSON_PARSER_ERROR"
        )
        assert trailing["message"] == (
            "Unexpected character ('}' (code 125)): was expecting double-quote to start field "
            "name at [line:3, column:2]"
        )
        for raw in (
            b"{bad",
            b'{"Name": "x",}',
            b"",
            b"[1, 2]",
            b'"text"',
            b'{"Name": "unterminated',
        ):
            await expect(c.post(f"{V}/sobjects/Account", content=raw), 400, "JSON_PARSER_ERROR")


async def test_malformed_query() -> None:
    async with emulator_client() as c:
        await expect(
            c.get(f"{V}/query", params={"q": "SELEC Id FROM Account"}), 400, "MALFORMED_QUERY"
        )
        await expect(c.get(f"{V}/query"), 400, "MALFORMED_QUERY")


async def test_invalid_session_id_is_401_with_www_authenticate() -> None:
    async with emulator_client() as c:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
            response = await c.http.get(f"{V}/sobjects", headers=headers)
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"] == "Token"
            # restforce expired_session_response.json
            assert only_error(response.json()) == {
                "message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"
            }  # fmt: skip


async def test_request_limit_exceeded_is_403() -> None:
    config = demo_config()
    config.daily_api_requests = 2
    async with emulator_client(org=Org(config)) as c:
        assert (await c.get(f"{V}/limits")).status_code == 200
        assert (await c.get(f"{V}/limits")).status_code == 200
        response = await c.get(f"{V}/limits")
        assert response.status_code == 403
        assert only_error(response.json()) == {
            "message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"
        }  # fmt: skip
        assert response.headers["Sforce-Limit-Info"] == "api-usage=2/2"


async def test_unable_to_lock_row() -> None:
    async with emulator_client(FaultConfig.parse("lock=1")) as c:
        record_id = c.emulator.org.insert("Account", {"Name": "Locked"}).id
        error = await expect(
            c.patch(f"{V}/sobjects/Account/{record_id}", json={"Name": "x"}),
            400,
            "UNABLE_TO_LOCK_ROW",
        )
        assert error["message"] == (
            f"unable to obtain exclusive access to this record or 1 records: {record_id}"
        )
        assert c.emulator.org.get("Account", str(record_id))["Name"] == "Locked"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/sobjects/Account", b"\xff\xfe\x00"),
        ("POST", "/sobjects/Account", b"null"),
        ("POST", "/sobjects/Account", b'{"Name": [1, {"a": null}]}'),
        ("POST", "/sobjects/Account", b'{"Name": 1e999}'),
        ("PATCH", "/sobjects/Account/%00%00", b"{}"),
        ("GET", "/sobjects/Account/" + "9" * 500, b""),
        ("PATCH", "/sobjects/Account/External_Id__c/", b'{"Name": "x"}'),
        ("POST", "/composite/sobjects", b'{"records": [1, 2]}'),
        ("POST", "/composite/sobjects", b'{"records": "x"}'),
        ("PATCH", "/composite/sobjects", b'{"records": [{"attributes": {"type": 5}}]}'),
        ("POST", "/composite", b'{"compositeRequest": [{"url": 5}]}'),
        ("POST", "/composite", b'{"compositeRequest": [{"method": "GET", "url": "@{x.y}"}]}'),
        ("POST", "/composite", b"[]"),
        ("DELETE", "/composite/sobjects?ids=,,,", b""),
        ("GET", "/query?q=%00", b""),
        ("GET", "/query/01gXYZ-abc", b""),
        ("GET", "/sobjects/Account/describe/extra/parts", b""),
    ],
)
async def test_malformed_requests_never_500(method: str, path: str, body: bytes) -> None:
    async with emulator_client() as c:
        response = await c.http.request(method, V + path, content=body, headers=c.headers)
        assert response.status_code < 500, response.text
        assert isinstance(response.json(), list | dict)
