"""Every call of the client, end to end against the emulated demo org (in-process)."""

from __future__ import annotations

import dataclasses

import pytest

from forcebridge.salesforce import RecordError, soql_literal
from tests.salesforce.emulated import Emulated

pytestmark = pytest.mark.anyio


async def test_authorize_answers_who_we_are(emu: Emulated) -> None:
    async with emu.client() as sf:
        me = await sf.authorize()
    user = emu.org.config.users[0]
    assert me.username == user.username
    assert me.user_id == user.user_id
    assert me.org_id == emu.org.config.org_id
    assert me.instance_url == emu.base_url


async def test_the_org_id_is_read_off_the_token_and_asked_only_when_it_is_not_there(
    emu: Emulated,
) -> None:
    org_id = emu.org.config.org_id
    async with emu.client() as sf:
        token = await sf.log_in()
        calls = sf.calls
        assert await sf.org_id() == org_id and sf.calls == calls  # `.../id/<18>/<user>`
    # an identity URL naming the org by its 15-character id: asked, for the same 18
    short = dataclasses.replace(token, id_url=token.id_url.replace(org_id, org_id[:15]))
    async with emu.client(token=short) as sf:
        assert await sf.org_id() == org_id and sf.calls == 1


async def test_describe_answers_integration_questions(emu: Emulated) -> None:
    async with emu.client() as sf:
        account = await sf.describe("Account")
        lead = await sf.describe("lead")
        invoice = await sf.describe("Invoice__c")
        contact = await sf.describe("Contact")
        everything = await sf.describe_global()
    assert account.required_on_create == ["Name"]
    assert sorted(lead.required_on_create) == ["Company", "LastName"]
    assert "OwnerId" not in account.required_on_create
    assert "Name" in account.createable_fields and "Id" not in account.createable_fields
    assert "CreatedDate" not in account.updateable_fields
    assert {"External_Id__c", "acme__Account_Id__c"} <= set(account.external_id_fields)
    assert "Id" in account.id_lookup_fields
    assert invoice.picklist_values("Status__c") == ("Draft", "Sent", "Paid", "Void")
    assert invoice.reference_targets("Account__c") == ("Account",)
    assert contact.reference_targets("AccountId") == ("Account",)
    assert account.field("name") is not None and account.key_prefix == "001"
    assert everything.get("invoice__c") is not None
    assert everything.by_prefix("001") is not None


async def test_describes_are_cached_until_refresh(emu: Emulated) -> None:
    async with emu.client() as sf:
        await sf.describe("Account")
        await sf.describe_global()
        calls = sf.calls
        await sf.describe("ACCOUNT")
        await sf.describe_global()
        assert sf.calls == calls
        sf.refresh()
        await sf.describe("Account")
        assert sf.calls == calls + 1


async def test_create_get_update_delete(emu: Emulated) -> None:
    async with emu.client() as sf:
        record_id = await sf.create("Account", {"Name": "Acme", "External_Id__c": "A-1"})
        assert record_id.startswith("001")
        got = await sf.get("Account", record_id)
        assert got["Name"] == "Acme" and "Phone" in got  # every field, nulls included
        await sf.update("Account", record_id, {"Phone": "555"})
        assert (await sf.get("Account", record_id, ["Phone"]))["Phone"] == "555"
        await sf.delete("Account", record_id)
        with pytest.raises(RecordError) as caught:
            await sf.get("Account", record_id)
    assert caught.value.code == "ENTITY_IS_DELETED" and caught.value.status == 404


async def test_create_error_carries_code_and_fields(emu: Emulated) -> None:
    async with emu.client() as sf:
        with pytest.raises(RecordError) as caught:
            await sf.create("Account", {"Phone": "1"})
    assert caught.value.code == "REQUIRED_FIELD_MISSING"
    assert caught.value.fields == ("Name",)
    assert caught.value.status == 400


async def test_upsert_by_external_id(emu: Emulated) -> None:
    async with emu.client() as sf:
        first = await sf.upsert("Account", "External_Id__c", "EXT/1 ?", {"Name": "One"})
        second = await sf.upsert("Account", "External_Id__c", "EXT/1 ?", {"Name": "Uno"})
        assert first.created and not second.created
        assert first.id == second.id
        assert (await sf.get("Account", str(first.id)))["Name"] == "Uno"


async def test_get_by_id_lookup_field_escapes_the_value(emu: Emulated) -> None:
    tricky = "o'brien@example.com"
    ext = "a'b\\c\"d\n"
    async with emu.client() as sf:
        await sf.create("Contact", {"LastName": "O'Brien", "Email": tricky, "External_Id__c": ext})
        await sf.create("Contact", {"LastName": "Other", "Email": "other@example.com"})
        found = await sf.get_by("Contact", "Email", tricky, ["Id", "LastName", "Email"])
        assert [(r["LastName"], r["Email"]) for r in found] == [("O'Brien", tricky)]
        # An injection attempt is just a value that matches nothing.
        assert await sf.get_by("Contact", "email", "x' OR LastName != 'x") == []
        assert len(await sf.get_by("Contact", "Email", "other@example.com")) == 1
        assert [
            r["LastName"] for r in await sf.get_by("Contact", "External_Id__c", ext, ["LastName"])
        ] == ["O'Brien"]
        with pytest.raises(ValueError, match="not an id-lookup"):
            await sf.get_by("Contact", "LastName", "Other")


def test_soql_literal_quotes_every_escape() -> None:
    assert soql_literal("a'b") == "'a\\'b'"
    assert soql_literal('a"b\\c\n\t') == "'a\\\"b\\\\c\\n\\t'"
    assert soql_literal(None) == "null"
    assert soql_literal(True) == "true"
    assert soql_literal(12) == "12"
    with pytest.raises(TypeError):
        soql_literal(object())


async def test_query_streams_every_page(emu: Emulated) -> None:
    async with emu.client() as sf:
        results = await sf.create_many("Account", [{"Name": f"Q{i:04d}"} for i in range(450)])
        assert all(r.success for r in results)
        calls = sf.calls
        stream = sf.query("SELECT Name FROM Account ORDER BY Name", batch_size=200)
        first = await anext(stream)
        assert first["Name"] == "Q0000" and sf.calls - calls == 1  # one page, no more
        await stream.aclose()
        calls = sf.calls
        names = [
            r["Name"]
            async for r in sf.query("SELECT Name FROM Account ORDER BY Name", batch_size=200)
        ]
        assert names == [f"Q{i:04d}" for i in range(450)]
        assert sf.calls - calls == 3  # three pages of 200, 200, 50
        assert await sf.count("SELECT COUNT() FROM Account") == 450


async def test_collections_chunk_and_keep_input_order(emu: Emulated) -> None:
    # Partial failures are not in the recordings; REST API Developer Guide, "sObject
    # Collections": 200 records at most per call, one SaveResult per record in request order.
    records = [{"Name": f"C{i}"} for i in range(450)]
    records[7] = {"Phone": "no name"}  # fails: REQUIRED_FIELD_MISSING
    records[301] = {"Phone": "no name either"}
    async with emu.client() as sf:
        created = await sf.create_many("Account", records)
        assert len(created) == 450
        assert [i for i, r in enumerate(created) if not r.success] == [7, 301]
        assert created[7].errors[0].code == "REQUIRED_FIELD_MISSING"
        ids = [str(r.id) for r in created if r.success]
        assert sf.calls == 1 + 3  # the login, then chunks of 200 + 200 + 50

        updated = await sf.update_many("Account", [{"Id": i, "Phone": "1"} for i in ids[:250]])
        assert all(r.success for r in updated) and [r.id for r in updated] == ids[:250]

        rows = [{"External_Id__c": f"U{i}", "Name": f"U{i}"} for i in range(3)]
        upserted = await sf.upsert_many("Account", "External_Id__c", rows)
        assert [r.created for r in upserted] == [True, True, True]
        again = await sf.upsert_many("Account", "External_Id__c", [rows[1], rows[1]])
        # The same key twice in one request fails both (Salesforce: DUPLICATE_EXTERNAL_ID).
        assert [r.errors[0].code for r in again] == ["DUPLICATE_EXTERNAL_ID"] * 2
        again = await sf.upsert_many("Account", "External_Id__c", [rows[1]])
        assert again[0].created is False and again[0].id == upserted[1].id

        deleted = await sf.delete_many([*ids[:205], "001000000000000AAA"])
        assert [r.success for r in deleted] == [True] * 205 + [False]
        assert await sf.count("SELECT COUNT() FROM Account") == 448 - 205 + 3


async def test_apex_rest_and_limits_and_usage(emu: Emulated) -> None:
    # Apex REST is not in the recordings; Apex Developer Guide, "Exposing Apex Classes as REST
    # Web Services" (answers are the class's JSON; errors use the REST error array).
    async with emu.client() as sf:
        answer = await sf.apex("POST", "/acme/events", json={"kind": "ping"})
        assert answer == {"accepted": True}
        assert emu.emulator.apex_log.requests[-1]  # the org received it
        limits = await sf.limits()
        assert limits["DailyApiRequests"]["Max"] == emu.org.config.daily_api_requests
        usage = sf.usage
        assert usage is not None
        assert usage.allocation == emu.org.config.daily_api_requests
        assert usage.used == emu.emulator.usage.used
        assert "62.0" in await sf.versions()
        with pytest.raises(RecordError) as caught:
            await sf.apex("GET", "/no/such/endpoint")
        assert caught.value.status == 404
