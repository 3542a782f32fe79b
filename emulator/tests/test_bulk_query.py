"""Bulk API 2.0 query jobs end to end through HTTP, in process.

No recording of a Bulk 2.0 query exists (sf-recordings README); the tests follow the Bulk API
2.0 Developer Guide: "Create a Query Job" (job JSON), "Get Results for a Query Job"
(`maxRecords`, `locator`, `Sforce-Locator: null` on the last page, `Sforce-NumberOfRecords`,
quoted CSV values), "Abort a Query Job" (`INVALIDJOBSTATE` "Aborting already Completed Job not
allowed") and "Delete a Query Job" (204).
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import httpx
import pytest
from harness.http_client import Client, V, emulator_client

pytestmark = pytest.mark.anyio

QUERY = f"{V}/jobs/query"


async def create(c: Client, soql: str, **extra: Any) -> httpx.Response:
    return await c.post(QUERY, json={"operation": "query", "query": soql, **extra})


async def finished(c: Client, job_id: str) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for _ in range(200):
        await asyncio.sleep(0)  # in-process calls never yield: give the job its turn
        info = (await c.get(f"{QUERY}/{job_id}")).json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
    raise AssertionError(f"query job never finished: {info}")


def seed(c: Client) -> list[str]:
    org = c.emulator.org
    parent = org.insert("Account", {"Name": "Parent, Inc.", "External_Id__c": "P"}).id
    assert parent
    out = [parent]
    for i in range(5):
        values: dict[str, Any] = {"LastName": f"L{i}", "Email": f"l{i}@example.com"}
        if i % 2 == 0:
            values["AccountId"] = parent
        rid = org.insert("Contact", values).id
        assert rid
        out.append(rid)
    return out


async def test_query_job_lifecycle_and_csv() -> None:
    async with emulator_client() as c:
        ids = seed(c)
        created = await create(
            c, "SELECT Id, LastName, Account.Name, IsEmailBounced FROM Contact ORDER BY LastName"
        )
        assert created.status_code == 200, created.text
        job = created.json()
        assert list(job) == [
            "id", "operation", "object", "createdById", "createdDate", "systemModstamp",
            "state", "concurrencyMode", "contentType", "apiVersion", "lineEnding",
            "columnDelimiter",
        ]  # fmt: skip
        assert job["id"].startswith("750") and job["object"] == "Contact"
        assert job["state"] == "UploadComplete" and job["apiVersion"] == 62.0
        info = await finished(c, job["id"])
        assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 5
        assert info["jobType"] == "V2Query" and info["retries"] == 0

        response = await c.get(f"{QUERY}/{job['id']}/results")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv"
        assert response.headers["sforce-locator"] == "null"
        assert response.headers["sforce-numberofrecords"] == "5"
        lines = response.text.splitlines()
        assert lines[0] == '"Id","LastName","Account.Name","IsEmailBounced"'
        assert lines[1] == f'"{ids[1]}","L0","Parent, Inc.","false"'
        assert lines[2] == f'"{ids[2]}","L1","","false"'
        rows = list(csv.reader(io.StringIO(response.text)))
        assert [r[1] for r in rows[1:]] == ["L0", "L1", "L2", "L3", "L4"]


async def test_results_paging_with_max_records_and_locator() -> None:
    async with emulator_client() as c:
        seed(c)
        job = (await create(c, "SELECT LastName FROM Contact ORDER BY LastName")).json()
        await finished(c, job["id"])
        url = f"{QUERY}/{job['id']}/results"
        seen: list[str] = []
        locator: str | None = None
        pages = 0
        while True:
            params = {"maxRecords": "2", **({"locator": locator} if locator else {})}
            page = await c.get(url, params=params)
            assert page.status_code == 200
            rows = list(csv.reader(io.StringIO(page.text)))
            assert rows[0] == ["LastName"]
            assert page.headers["sforce-numberofrecords"] == str(len(rows) - 1)
            seen += [r[0] for r in rows[1:]]
            pages += 1
            locator = page.headers["sforce-locator"]
            if locator == "null":
                break
        assert pages == 3 and seen == ["L0", "L1", "L2", "L3", "L4"]
        assert (await c.get(url, params={"locator": "MQ"})).text.splitlines()[1] == '"L1"'
        bad = await c.get(url, params={"locator": "!!"})
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALIDLOCATOR"
        bad = await c.get(url, params={"maxRecords": "0"})
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "API_ERROR"


async def test_query_all_sees_deleted_records_and_delimiter_option() -> None:
    async with emulator_client() as c:
        ids = seed(c)
        c.emulator.org.delete("Contact", ids[1])
        soql = "SELECT LastName, IsDeleted FROM Contact WHERE LastName = 'L0'"
        live = (await create(c, soql)).json()
        every = (
            await c.post(
                QUERY, json={"operation": "queryAll", "query": soql, "columnDelimiter": "TAB"}
            )
        ).json()
        assert (await finished(c, live["id"]))["numberRecordsProcessed"] == 0
        assert (await finished(c, every["id"]))["numberRecordsProcessed"] == 1
        text = (await c.get(f"{QUERY}/{every['id']}/results")).text
        assert text == '"LastName"\t"IsDeleted"\n"L0"\t"true"\n'


async def test_own_fields_write_as_a_query_through_a_parent_does() -> None:
    """A query of the object's own fields is copied as a table rather than shaped record by
    record: its CSV cells (null, text with a comma, numbers, booleans, datetimes) are the ones
    the same fields get in a query that also reads a parent field, and they are the values
    of when the job ran, not of a later update."""
    async with emulator_client() as c:
        org = c.emulator.org
        parent = org.insert("Account", {"Name": "P"}).id
        comma = org.insert("Account", {"Name": "Comma, Inc.", "AnnualRevenue": 1234.5,
                                       "NumberOfEmployees": 12, "ParentId": parent}).id
        assert comma
        org.insert("Account", {"Name": "Zed", "ParentId": parent})
        fields = "Name, AnnualRevenue, NumberOfEmployees, IsDeleted, CreatedDate"
        where = f"FROM Account WHERE ParentId = '{parent}' ORDER BY Name"
        own = (await create(c, f"SELECT {fields} {where}")).json()
        shaped = (await create(c, f"SELECT {fields}, Parent.Name {where}")).json()
        for job in (own, shaped):
            assert (await finished(c, job["id"]))["numberRecordsProcessed"] == 2
        org.update("Account", comma, {"AnnualRevenue": 1.0})
        own_rows = list(csv.reader(io.StringIO(
            (await c.get(f"{QUERY}/{own['id']}/results")).text)))
        shaped_rows = list(csv.reader(io.StringIO(
            (await c.get(f"{QUERY}/{shaped['id']}/results")).text)))
        assert own_rows == [row[:-1] for row in shaped_rows]
        assert own_rows[1][:4] == ["Comma, Inc.", "1235.0", "12", "false"]
        assert own_rows[2][:4] == ["Zed", "", "", "false"]
        assert own_rows[1][4].endswith("Z") or own_rows[1][4].endswith("+0000")


async def test_bad_queries_and_unsupported_shapes() -> None:
    async with emulator_client() as c:
        bad = await create(c, "SELECT Nope__c FROM Account")
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_FIELD"
        bad = await create(c, "SELEC Id FROM Account")
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "MALFORMED_QUERY"
        bad = await create(c, "SELECT Id FROM Nope__c")
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_TYPE"
        bad = await c.post(QUERY, json={"operation": "search", "query": "SELECT Id FROM Account"})
        assert bad.json() == [
            {"errorCode": "API_ERROR",
             "message": "Invalid value: 'search' supplied for property: 'operation'"},
        ]  # fmt: skip
        bad = await c.post(QUERY, json={"operation": "query"})
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "API_ERROR"
        assert c.emulator.bulk is not None and not c.emulator.bulk.jobs

        nested = (await create(c, "SELECT Id, (SELECT Id FROM Contacts) FROM Account")).json()
        info = await finished(c, nested["id"])
        assert info["state"] == "Failed"
        assert info["errorMessage"] == (
            "FeatureNotEnabled : Cannot serialize value for 'Contacts' in CSV format"
        )
        c.emulator.org.insert("Account", {"Name": "A", "BillingCity": "Paris"})
        compound = (await create(c, "SELECT BillingAddress FROM Account")).json()
        info = await finished(c, compound["id"])
        assert info["state"] == "Failed" and "'BillingAddress'" in info["errorMessage"]
        results = await c.get(f"{QUERY}/{compound['id']}/results")
        assert results.status_code == 409 and results.json()[0]["errorCode"] == "INVALIDJOBSTATE"


async def test_abort_delete_list_and_unknown_jobs() -> None:
    async with emulator_client() as c:
        job = (await create(c, "SELECT Id FROM Account")).json()
        aborted = await c.patch(f"{QUERY}/{job['id']}", json={"state": "Aborted"})
        assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
        assert (await finished(c, job["id"]))["state"] == "Aborted"
        done = (await create(c, "SELECT Id FROM Account")).json()
        await finished(c, done["id"])
        again = await c.patch(f"{QUERY}/{done['id']}", json={"state": "Aborted"})
        assert again.status_code == 400
        assert again.json() == [
            {"errorCode": "INVALIDJOBSTATE",
             "message": "Aborting already Completed Job not allowed"},
        ]  # fmt: skip
        closing = await c.patch(f"{QUERY}/{done['id']}", json={"state": "UploadComplete"})
        assert closing.status_code == 400

        listing = (await c.get(QUERY)).json()
        assert [r["id"] for r in listing["records"]] == [job["id"], done["id"]]
        assert all(r["jobType"] == "V2Query" for r in listing["records"])
        assert (await c.delete(f"{QUERY}/{done['id']}")).status_code == 204
        for response in (
            await c.get(f"{QUERY}/{done['id']}"),
            await c.get(f"{QUERY}/{done['id']}/results"),
            await c.delete(f"{QUERY}/{done['id']}"),
        ):
            assert response.status_code == 404
            assert response.json() == [
                {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
            ]
