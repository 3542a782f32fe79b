"""REST routes end to end through HTTP, in process: versions, directory, limits, describe, CRUD,
upsert by external id. Shapes and status codes follow sf-recordings (README "Facts" 1-5)."""

from __future__ import annotations

import pytest
from harness.http_client import V, emulator_client

from forcebridge_emulator._config import FieldConfig
from forcebridge_emulator._org import Org
from forcebridge_emulator._orgfile import demo_config

pytestmark = pytest.mark.anyio


async def test_versions_list_needs_no_session() -> None:
    async with emulator_client() as c:
        response = await c.http.get("/services/data/")
        assert response.status_code == 200
        versions = response.json()
        # NetCoreForce/versions.json: v31.0 is "Summer '14", v57.0 "Spring '23".
        by_version = {v["version"]: v for v in versions}
        assert by_version["31.0"] == {
            "label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"
        }  # fmt: skip
        assert by_version["57.0"]["label"] == "Spring '23"
        assert versions[0]["version"] == "30.0" and versions[-1]["version"] == "62.0"
        assert (await c.http.get("/services/data")).status_code == 200


async def test_resource_directory_and_unknown_version() -> None:
    async with emulator_client() as c:
        body = (await c.get(f"{V}/")).json()
        assert body["sobjects"] == f"{V}/sobjects"
        assert body["query"] == f"{V}/query"
        assert body["identity"].startswith("https://emulator.test/id/00D")
        for bad in ("/services/data/v29.0/", "/services/data/v63.0/limits", "/services/data/x/"):
            response = await c.get(bad)
            assert response.status_code == 404
            assert response.json() == [
                {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
            ]


async def test_limits_reflect_usage_and_header_on_every_call() -> None:
    async with emulator_client() as c:
        first = await c.get(f"{V}/limits")
        second = await c.get(f"{V}/limits")
        assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
        assert second.headers["Sforce-Limit-Info"] == "api-usage=2/15000"
        daily = second.json()["DailyApiRequests"]
        assert daily == {"Max": 15000, "Remaining": 14998}
        # Same key set as camel/limits.json.
        assert {
            "DailyBulkApiRequests",
            "HourlyODataCallout",
            "StreamingApiConcurrentClients",
        } <= set(second.json())


# The keys every current org answers in the REST API guide's "List Org Limits" example (v62 and
# on), leaving out the licence-dependent ones (Dev Hub, Analytics, Einstein, Functions).
CURRENT_KEYS = {
    "ConcurrentAsyncGetReportInstances", "ConcurrentSyncReportRuns", "DailyApiRequests",
    "DailyAsyncApexExecutions", "DailyAsyncApexTests", "DailyBulkApiBatches",
    "DailyBulkV2QueryFileStorageMB", "DailyBulkV2QueryJobs", "DailyDeliveredPlatformEvents",
    "DailyDurableGenericStreamingApiEvents", "DailyDurableStreamingApiEvents",
    "DailyGenericStreamingApiEvents", "DailyStandardVolumePlatformEvents",
    "DailyStreamingApiEvents", "DailyWorkflowEmails", "DataStorageMB",
    "DurableStreamingApiConcurrentClients", "FileStorageMB", "HourlyAsyncReportRuns",
    "HourlyDashboardRefreshes", "HourlyDashboardResults", "HourlyDashboardStatuses",
    "HourlyLongTermIdMapping", "HourlyManagedContentPublicRequests", "HourlyODataCallout",
    "HourlyPublishedPlatformEvents", "HourlyPublishedStandardVolumePlatformEvents",
    "HourlyShortTermIdMapping", "HourlySyncReportRuns", "HourlyTimeBasedWorkflow", "MassEmail",
    "PermissionSets", "PrivateConnectOutboundCalloutHourlyLimitMB", "SingleEmail",
    "StreamingApiConcurrentClients",
}  # fmt: skip


async def test_limits_carry_the_keys_current_orgs_answer() -> None:
    async with emulator_client() as c:
        body = (await c.get(f"{V}/limits")).json()
    assert CURRENT_KEYS <= set(body), sorted(CURRENT_KEYS - set(body))
    assert body["DailyBulkV2QueryJobs"] == {"Max": 10000, "Remaining": 10000}
    assert body["DailyBulkV2QueryFileStorageMB"] == {"Max": 976562, "Remaining": 976562}
    assert body["PermissionSets"]["CreateCustom"] == {"Max": 1000, "Remaining": 999}
    assert all({"Max", "Remaining"} <= set(v) for v in body.values())


async def test_describe_global_object_and_basic_info() -> None:
    async with emulator_client() as c:
        listing = (await c.get(f"{V}/sobjects")).json()
        assert listing["maxBatchSize"] == 200
        assert "Invoice__c" in {s["name"] for s in listing["sobjects"]}
        describe = (await c.get(f"{V}/sobjects/Invoice__c/describe")).json()
        assert describe["name"] == "Invoice__c"
        assert "Invoice_Number__c" in {f["name"] for f in describe["fields"]}
        basic = (await c.get(f"{V}/sobjects/account")).json()
        assert basic["objectDescribe"]["name"] == "Account"
        assert basic["recentItems"] == []
        missing = await c.get(f"{V}/sobjects/Nope__c/describe")
        assert missing.status_code == 404
        assert missing.json()[0]["errorCode"] == "NOT_FOUND"


async def test_create_get_update_delete() -> None:
    async with emulator_client() as c:
        created = await c.post(f"{V}/sobjects/Account/", json={"Name": "Acme"})
        assert created.status_code == 201
        body = created.json()
        assert body["success"] is True and body["errors"] == [] and set(body) == {
            "id", "success", "errors"
        }  # fmt: skip
        record_id = body["id"]

        record = (await c.get(f"{V}/sobjects/Account/{record_id}")).json()
        assert record["attributes"] == {
            "type": "Account", "url": f"{V}/sobjects/Account/{record_id}"
        }  # fmt: skip
        assert record["Name"] == "Acme"
        assert record["Phone"] is None  # every field, nulls included
        assert record["CreatedDate"].endswith("+0000")

        subset = (await c.get(f"{V}/sobjects/Account/{record_id}?fields=Name,Phone")).json()
        assert set(subset) == {"attributes", "Name", "Phone", "Id"}

        updated = await c.patch(f"{V}/sobjects/Account/{record_id}", json={"Name": "Acme 2"})
        assert updated.status_code == 204 and updated.content == b""
        assert (await c.get(f"{V}/sobjects/Account/{record_id}")).json()["Name"] == "Acme 2"

        deleted = await c.delete(f"{V}/sobjects/Account/{record_id}")
        assert deleted.status_code == 204 and deleted.content == b""
        gone = await c.get(f"{V}/sobjects/Account/{record_id}")
        assert gone.status_code == 404
        assert gone.json()[0]["errorCode"] == "ENTITY_IS_DELETED"


async def test_upsert_by_external_id_new_and_old_versions() -> None:
    async with emulator_client() as c:
        url = f"{V}/sobjects/Account/External_Id__c/EXT-1"
        created = await c.patch(url, json={"Name": "New"})
        assert created.status_code == 201
        assert created.json()["created"] is True
        again = await c.patch(url, json={"Name": "Again"})
        assert again.status_code == 200
        assert again.json() == {
            "id": created.json()["id"], "success": True, "errors": [], "created": False
        }  # fmt: skip
        # restforce-db cassettes (v26-era): 201 without `created`, then 204 with no body.
        old = "/services/data/v45.0/sobjects/Account/External_Id__c/EXT-2"
        first = await c.patch(old, json={"Name": "Old"})
        assert first.status_code == 201 and "created" not in first.json()
        second = await c.patch(old, json={"Name": "Old 2"})
        assert second.status_code == 204 and second.content == b""

        fetched = await c.get(f"{V}/sobjects/Account/External_Id__c/EXT-2")
        assert fetched.json()["Name"] == "Old 2"
        assert (await c.delete(f"{V}/sobjects/Account/External_Id__c/EXT-2")).status_code == 204
        assert (await c.get(f"{V}/sobjects/Account/External_Id__c/EXT-2")).status_code == 404

        bad_field = await c.patch(f"{V}/sobjects/Account/Namez/x", json={"Name": "x"})
        assert bad_field.status_code == 404
        assert bad_field.json()[0]["message"] == (
            "Provided external ID field does not exist or is not accessible: Namez"
        )


async def test_several_matches_answer_300_with_record_urls() -> None:
    config = demo_config()
    account = next(o for o in config.objects if o.name == "Account")
    account.fields.append(FieldConfig("Legacy_Id__c", "string", length=20, external_id=True))
    async with emulator_client(org=Org(config)) as c:
        ids = []
        for name in ("One", "Two"):
            response = await c.post(
                f"{V}/sobjects/Account", json={"Name": name, "Legacy_Id__c": "L"}
            )
            ids.append(response.json()["id"])
        upsert = await c.patch(f"{V}/sobjects/Account/Legacy_Id__c/L", json={"Name": "x"})
        assert upsert.status_code == 300
        assert sorted(upsert.json()) == sorted(f"{V}/sobjects/Account/{i}" for i in ids)
        lookup = await c.get(f"{V}/sobjects/Account/Legacy_Id__c/L")
        assert lookup.status_code == 300


async def test_unknown_paths_are_salesforce_404s() -> None:
    async with emulator_client() as c:
        for path in (f"{V}/nothing", "/services/nothing", "/x"):
            response = await c.get(path)
            assert response.status_code == 404
            assert response.json()[0]["errorCode"] == "NOT_FOUND"


async def test_record_count() -> None:
    async with emulator_client() as c:
        c.emulator.org.insert("Contact", {"LastName": "One"})
        c.emulator.org.insert("Contact", {"LastName": "Two"})
        response = await c.get(f"{V}/limits/recordCount", params={"sObjects": "Contact,Nope"})
        # CumulusCI TestUpsert cassette: {"sObjects": [{"count": 2, "name": "Contact"}]}
        assert response.json() == {"sObjects": [{"count": 2, "name": "Contact"}]}
