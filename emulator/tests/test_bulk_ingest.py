"""Bulk API 2.0 ingest jobs end to end through HTTP, in process.

Shapes: restforce Bulk 2.0 fixtures (create-job keys, `apiVersion` a number, `contentUrl`
without a leading slash, result headers `"sf__Id","sf__Created",Name` with quoted values) and
sf-recordings README fact 8 (`sf__Error` text). Where nothing is recorded the tests follow the
Bulk API 2.0 Developer Guide: "Get Information About an Ingest Job" (job info keys), "Close
or Abort a Job" / "Abort a Job" (`INVALIDJOBSTATE` "Aborting already Completed Job not
allowed", 400), "Delete a Job", "Get All Jobs", "Get Job Unprocessed Record Results".
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import httpx
import pytest
from harness.http_client import Client, V, emulator_client

from forcebridge_emulator._bulk import BulkJobs

pytestmark = pytest.mark.anyio

INGEST = f"{V}/jobs/ingest"
TERMINAL = ("JobComplete", "Failed", "Aborted")


# --- client steps ---------------------------------------------------------------------------


async def create(c: Client, obj: str, operation: str, **extra: Any) -> dict[str, Any]:
    response = await c.post(INGEST, json={"object": obj, "operation": operation, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(c: Client, job_id: str, data: str) -> httpx.Response:
    return await c.http.put(
        f"{INGEST}/{job_id}/batches",
        content=data.encode(),
        headers={**c.headers, "Content-Type": "text/csv"},
    )


async def close(c: Client, job_id: str, state: str = "UploadComplete") -> httpx.Response:
    return await c.patch(f"{INGEST}/{job_id}", json={"state": state})


async def poll(c: Client, url: str) -> dict[str, Any]:
    """GET the job until it reaches a final state, as clients poll a real org."""
    info: dict[str, Any] = {}
    for _ in range(1000):
        info = (await c.get(url)).json()
        if info["state"] in TERMINAL:
            return info
        await asyncio.sleep(0.005)
    raise AssertionError(f"job never finished: {info}")


async def run_job(
    c: Client, obj: str, operation: str, data: str, **extra: Any
) -> tuple[str, dict[str, Any]]:
    """Create, upload, close and wait: (job id, final job info)."""
    job = await create(c, obj, operation, **extra)
    assert (await upload(c, job["id"], data)).status_code == 201
    assert (await close(c, job["id"])).status_code == 200
    return job["id"], await poll(c, f"{INGEST}/{job['id']}")


async def result(c: Client, job_id: str, which: str) -> tuple[str, list[list[str]]]:
    """(raw text, parsed rows including the header) of one result CSV."""
    response = await c.get(f"{INGEST}/{job_id}/{which}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv"
    assert "sforce-limit-info" in response.headers
    return response.text, list(csv.reader(io.StringIO(response.text)))


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    return response.status_code, body[0]["errorCode"], body[0]["message"]


# --- lifecycle ------------------------------------------------------------------------------


async def test_create_job_answers_the_recorded_shape() -> None:
    async with emulator_client() as c:
        job = await create(c, "Account", "insert", contentType="CSV", lineEnding="LF")
        # restforce create_job_success_response.json: same keys, same order.
        assert list(job) == [
            "id", "operation", "object", "createdById", "createdDate", "systemModstamp",
            "state", "concurrencyMode", "contentType", "apiVersion", "contentUrl",
            "lineEnding", "columnDelimiter",
        ]  # fmt: skip
        assert job["id"].startswith("750") and len(job["id"]) == 18
        assert job["state"] == "Open" and job["operation"] == "insert"
        assert job["apiVersion"] == 62.0 and isinstance(job["apiVersion"], float)
        assert job["contentUrl"] == f"services/data/v62.0/jobs/ingest/{job['id']}/batches"
        assert job["createdById"] == c.emulator.org.config.users[0].user_id
        assert job["createdDate"].endswith(".000+0000")
        assert (job["concurrencyMode"], job["lineEnding"], job["columnDelimiter"]) == (
            "Parallel", "LF", "COMMA",
        )  # fmt: skip
        info = (await c.get(f"{INGEST}/{job['id']}")).json()
        assert info["state"] == "Open" and info["contentUrl"] == job["contentUrl"]
        assert info["jobType"] == "V2Ingest" and info["numberRecordsProcessed"] == 0


async def test_insert_lifecycle_and_result_files() -> None:
    async with emulator_client() as c:
        data = 'Name,Phone\nFoo Bar,555-0100\n"Bizz, Buzz",\n,555-0199\n'
        job = await create(c, "Account", "insert")
        put = await upload(c, job["id"], data)
        assert put.status_code == 201 and put.content == b""
        closed = await close(c, job["id"])
        assert closed.status_code == 200
        assert closed.json()["state"] == "UploadComplete"
        info = await poll(c, f"{INGEST}/{job['id']}")
        assert info["state"] == "JobComplete"
        assert info["numberRecordsProcessed"] == 3 and info["numberRecordsFailed"] == 1
        for key in ("retries", "totalProcessingTime", "apiActiveProcessingTime",
                    "apexProcessingTime"):  # fmt: skip
            assert isinstance(info[key], int)
        assert "contentUrl" not in info and "errorMessage" not in info

        text, rows = await result(c, job["id"], "successfulResults")
        assert text.splitlines()[0] == '"sf__Id","sf__Created",Name,Phone'
        assert text.splitlines()[2].startswith('"001') and text.splitlines()[2].endswith(
            '","true","Bizz, Buzz",""'
        )
        assert [r[1:] for r in rows[1:]] == [["true", "Foo Bar", "555-0100"],
                                             ["true", "Bizz, Buzz", ""]]  # fmt: skip
        record = c.emulator.org.get("Account", rows[1][0])
        assert record["Name"] == "Foo Bar" and record["Phone"] == "555-0100"

        text, rows = await result(c, job["id"], "failedResults")
        assert text.splitlines()[0] == '"sf__Id","sf__Error",Name,Phone'
        assert rows[1:] == [
            ["", "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --", "",
             "555-0199"],
        ]  # fmt: skip
        text, rows = await result(c, job["id"], "unprocessedrecords")
        assert rows == [["Name", "Phone"]]
        assert c.emulator.org.count("Account") == 2


async def test_update_upsert_and_delete_jobs() -> None:
    async with emulator_client() as c:
        org = c.emulator.org
        first = org.insert("Account", {"Name": "One", "External_Id__c": "E1"}).id
        second = org.insert("Account", {"Name": "Two", "Phone": "1"}).id
        assert first and second

        data = f"Id,Name,Phone\n{first},Uno,\n{second},,#N/A\n001000000000000AAA,X,\n,Y,\n"
        job_id, info = await run_job(c, "Account", "update", data)
        assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (4, 2)
        assert org.get("Account", first)["Name"] == "Uno"
        assert org.get("Account", second)["Name"] == "Two"  # empty cell: left alone
        assert org.get("Account", second)["Phone"] is None  # #N/A: set to null
        _, ok = await result(c, job_id, "successfulResults")
        assert [r[:2] for r in ok[1:]] == [[first, "false"], [second, "false"]]
        _, bad = await result(c, job_id, "failedResults")
        assert bad[1][0] == "001000000000000AAA"
        assert bad[1][1].startswith("NOT_FOUND:") or bad[1][1].startswith("MALFORMED_ID:")
        assert bad[2] == ["", "MISSING_ARGUMENT:Id not specified:--", "", "Y", ""]

        data = "External_Id__c,Name\nE1,Uno bis\nE2,Dos\n,Nobody\n"
        job_id, info = await run_job(
            c, "Account", "upsert", data, externalIdFieldName="External_Id__c"
        )
        assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 1)
        assert info["externalIdFieldName"] == "External_Id__c"
        _, ok = await result(c, job_id, "successfulResults")
        assert [r[1:] for r in ok[1:]] == [["false", "E1", "Uno bis"], ["true", "E2", "Dos"]]
        assert ok[1][0] == first and org.get("Account", first)["Name"] == "Uno bis"
        _, bad = await result(c, job_id, "failedResults")
        assert bad[1][1] == "MISSING_ARGUMENT:External_Id__c not specified:--"

        data = f"Id\n{first}\n{first}\n"
        job_id, info = await run_job(c, "Account", "delete", data)
        assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (2, 1)
        _, ok = await result(c, job_id, "successfulResults")
        assert ok[1] == [first, "false", first]
        _, bad = await result(c, job_id, "failedResults")
        assert bad[1][:2] == [first, "ENTITY_IS_DELETED:entity is deleted:--"]
        assert org.count("Account") == 2


async def test_row_errors_carry_the_real_error_text() -> None:
    async with emulator_client() as c:
        long_name = "x" * 300
        data = (
            "Name,Status__c,Amount__c,Issued_On__c,Paid__c,Account__r.External_Id__c\n"
            f"{long_name},Draft,1,2024-01-02,true,\n"
            "Inv,Nope,1,2024-01-02,true,\n"
            "Inv,Draft,abc,2024-01-02,false,\n"
            "Inv,Draft,12.345,2024-01-02,false,NOPE\n"
            "Inv,Draft,12.345,2024-01-02,1,ACC\n"
        )
        c.emulator.org.insert("Account", {"Name": "Parent", "External_Id__c": "ACC"})
        job_id, info = await run_job(c, "Invoice__c", "insert", data)
        assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (5, 4)
        _, bad = await result(c, job_id, "failedResults")
        errors = [r[1] for r in bad[1:]]
        assert errors[0] == (
            f"STRING_TOO_LONG:Invoice Name: data value too large: {long_name} (max length=80)"
            ":Name --"
        )
        assert errors[1] == (
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Status: bad value for restricted picklist "
            "field: Nope:Status__c --"
        )
        assert errors[2] == (
            "INVALID_TYPE_ON_FIELD_IN_RECORD:Amount: value not of required type: abc:Amount__c --"
        )
        assert errors[3] == (
            "INVALID_FIELD:Foreign key external ID: NOPE not found for field External_Id__c in "
            "entity Account:--"
        )
        _, ok = await result(c, job_id, "successfulResults")
        record = c.emulator.org.get("Invoice__c", ok[1][0])
        assert record["Amount__c"] == 12.35 and record["Paid__c"] is True
        assert record["Account__c"].startswith("001")


async def test_options_delimiter_and_crlf() -> None:
    async with emulator_client() as c:
        data = 'Name|Description\r\nPipe One|a;b\r\n"Pipe|Two"|c\r\n'
        job_id, info = await run_job(
            c, "Account", "insert", data, columnDelimiter="PIPE", lineEnding="CRLF"
        )
        assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 2
        assert (info["columnDelimiter"], info["lineEnding"]) == ("PIPE", "CRLF")
        text, _ = await result(c, job_id, "successfulResults")
        lines = text.split("\r\n")
        assert lines[0] == '"sf__Id"|"sf__Created"|Name|Description'
        assert lines[2].endswith('|"true"|"Pipe|Two"|"c"')


# --- job-level failures ---------------------------------------------------------------------


async def test_unknown_column_fails_the_job_and_leaves_rows_unprocessed() -> None:
    async with emulator_client() as c:
        job_id, info = await run_job(c, "Account", "insert", "Name,Foo,Bar\nA,1,2\nB,3,4\n")
        assert info["state"] == "Failed"
        assert info["errorMessage"] == "InvalidBatch : Field name not found : Foo"
        assert info["numberRecordsProcessed"] == 0
        _, rows = await result(c, job_id, "unprocessedrecords")
        assert rows == [["Name", "Foo", "Bar"], ["A", "1", "2"], ["B", "3", "4"]]
        _, rows = await result(c, job_id, "successfulResults")
        assert rows == [["sf__Id", "sf__Created", "Name", "Foo", "Bar"]]
        assert c.emulator.org.count("Account") == 0


async def test_line_ending_mismatch_fails_before_any_row() -> None:
    async with emulator_client() as c:
        _, info = await run_job(c, "Account", "insert", "Name\r\nA\r\n", lineEnding="LF")
        assert info["state"] == "Failed"
        assert info["errorMessage"] == (
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding "
            "setting is LF"
        )
        assert c.emulator.org.count("Account") == 0


async def test_malformed_csv_never_500s() -> None:
    async with emulator_client() as c:
        job_id, info = await run_job(c, "Account", "insert", 'Name\nGood\n"Unclosed\nmore\n')
        assert info["state"] == "Failed"
        assert info["errorMessage"].startswith("ClientInputError : ")
        _, rows = await result(c, job_id, "unprocessedrecords")
        # Rows of the chunk holding the broken quote are not applied; the tail cannot be echoed.
        assert rows == [["Name"], ["Good"]]
        assert info["numberRecordsProcessed"] == 0 and c.emulator.org.count("Account") == 0
        job_id, info = await run_job(c, "Account", "insert", "Name,Phone\nA\nB,1,2\nC,3\n")
        assert info["state"] == "JobComplete" and info["numberRecordsFailed"] == 2
        _, bad = await result(c, job_id, "failedResults")
        assert bad[1][1].startswith("INVALID_FIELD:Number of fields in the row")
        _, info = await run_job(c, "Account", "insert", "")
        assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 0


# --- request errors -------------------------------------------------------------------------


async def test_create_errors() -> None:
    async with emulator_client() as c:
        cases: list[tuple[dict[str, Any], tuple[int, str, str]]] = [
            ({"object": "Nope__c", "operation": "insert"},
             (400, "INVALIDJOB", "InvalidJob : Unable to find object: Nope__c")),
            ({"object": "Account", "operation": "merge"},
             (400, "API_ERROR", "Invalid value: 'merge' supplied for property: 'operation'")),
            ({"object": "Account", "operation": "insert", "contentType": "JSON"},
             (400, "API_ERROR", "Invalid value: 'JSON' supplied for property: 'contentType'")),
            ({"object": "Account", "operation": "insert", "columnDelimiter": "SPACE"},
             (400, "API_ERROR",
              "Invalid value: 'SPACE' supplied for property: 'columnDelimiter'")),
            ({"object": "Account", "operation": "upsert"},
             (400, "INVALIDJOB", "InvalidJob : Field name provided,  does not match an "
              "External ID, Salesforce Id, or indexed field for Account")),
            ({"object": "Account", "operation": "upsert", "externalIdFieldName": "Phone"},
             (400, "INVALIDJOB", "InvalidJob : Field name provided, Phone does not match an "
              "External ID, Salesforce Id, or indexed field for Account")),
        ]  # fmt: skip
        for body, expected in cases:
            assert error_of(await c.post(INGEST, json=body)) == expected, body
        bad_json = await c.post(INGEST, content=b"{", headers={"Content-Type": "application/json"})
        assert error_of(bad_json)[:2] == (400, "JSON_PARSER_ERROR")
        old = await c.post("/services/data/v40.0/jobs/ingest", json=cases[0][0])
        assert old.status_code == 404
        unauthenticated = await c.http.post(INGEST, json={"object": "Account"})
        assert unauthenticated.status_code == 401
        assert c.emulator.bulk is not None and not c.emulator.bulk.jobs


async def test_unknown_job_is_404_everywhere() -> None:
    async with emulator_client() as c:
        missing = "7505g0000000000AAA"
        not_found = (404, "NOT_FOUND", "The requested resource does not exist")
        for response in (
            await c.get(f"{INGEST}/{missing}"),
            await close(c, missing),
            await c.delete(f"{INGEST}/{missing}"),
            await upload(c, missing, "Name\nA\n"),
            await c.get(f"{INGEST}/{missing}/successfulResults"),
            await c.get(f"{INGEST}/{missing}/failedResults"),
            await c.get(f"{INGEST}/{missing}/unprocessedrecords"),
        ):
            assert error_of(response) == not_found
        query_job = await c.post(f"{V}/jobs/query", json={"query": "SELECT Id FROM Account"})
        assert error_of(await c.get(f"{INGEST}/{query_job.json()['id']}")) == not_found


async def test_state_transitions() -> None:
    async with emulator_client() as c:
        job = await create(c, "Account", "insert")
        url = f"{INGEST}/{job['id']}"
        assert error_of(await c.get(f"{url}/successfulResults"))[:2] == (409, "INVALIDJOBSTATE")
        assert error_of(await c.delete(url))[:2] == (400, "INVALIDJOBSTATE")
        assert error_of(await close(c, job["id"], "JobComplete"))[:2] == (400, "INVALIDJOBSTATE")
        assert error_of(await close(c, job["id"], "Bogus")) == (
            400, "API_ERROR", "Invalid value: 'Bogus' supplied for property: 'state'",
        )  # fmt: skip
        assert (await upload(c, job["id"], "Name\nA\n")).status_code == 201
        second = error_of(await upload(c, job["id"], "Name\nB\n"))
        assert second[:2] == (400, "BULK_API_ERROR")
        assert second[2].startswith(f"Found multipe contents for job: <{job['id'][:15]}>")
        assert (await close(c, job["id"])).status_code == 200
        info = await poll(c, url)
        assert info["state"] == "JobComplete"
        assert error_of(await upload(c, job["id"], "Name\nC\n"))[:2] == (409, "INVALIDJOBSTATE")
        assert error_of(await close(c, job["id"])) == (
            400, "INVALIDJOBSTATE", "Closing already Completed Job not allowed",
        )  # fmt: skip
        assert error_of(await close(c, job["id"], "Aborted")) == (
            400, "INVALIDJOBSTATE", "Aborting already Completed Job not allowed",
        )  # fmt: skip
        deleted = await c.delete(url)
        assert deleted.status_code == 204 and deleted.content == b""
        assert (await c.get(url)).status_code == 404


async def test_abort_before_processing_leaves_every_row_unprocessed() -> None:
    async with emulator_client() as c:
        job = await create(c, "Account", "insert")
        assert (await upload(c, job["id"], "Name\nA\nB\n")).status_code == 201
        aborted = await close(c, job["id"], "Aborted")
        assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
        _, rows = await result(c, job["id"], "unprocessedrecords")
        assert rows == [["Name"], ["A"], ["B"]]
        assert c.emulator.org.count("Account") == 0
        assert error_of(await close(c, job["id"]))[:2] == (400, "INVALIDJOBSTATE")


async def test_abort_while_in_progress_stops_between_chunks() -> None:
    async with emulator_client() as c:
        rows = 30_000
        data = "Name\n" + "".join(f"N{i}\n" for i in range(rows))
        job = await create(c, "Account", "insert")
        await upload(c, job["id"], data)
        await close(c, job["id"])
        url = f"{INGEST}/{job['id']}"
        for _ in range(1000):  # in-process calls never yield: give the job its turns
            await asyncio.sleep(0)
            if (await c.get(url)).json()["state"] == "InProgress":
                break
        assert (await close(c, job["id"], "Aborted")).status_code == 200
        info = await poll(c, url)
        assert info["state"] == "Aborted"
        done = info["numberRecordsProcessed"]
        assert 0 < done < rows
        _, unprocessed = await result(c, job["id"], "unprocessedrecords")
        assert len(unprocessed) - 1 == rows - done
        assert unprocessed[1] == [f"N{done}"]
        assert c.emulator.org.count("Account") == done


async def test_event_loop_stays_responsive_while_processing() -> None:
    async with emulator_client() as c:
        data = "Name\n" + "".join(f"N{i}\n" for i in range(20_000))
        job = await create(c, "Account", "insert")
        await upload(c, job["id"], data)
        await close(c, job["id"])
        url = f"{INGEST}/{job['id']}"
        # Each turn of the loop given to the job applies one chunk; polls answer in between.
        seen: list[tuple[str, int]] = []
        while not seen or seen[-1][0] not in TERMINAL:
            await asyncio.sleep(0)
            info = (await c.get(url)).json()
            seen.append((info["state"], info["numberRecordsProcessed"]))
            if info["state"] == "InProgress" and len(seen) == 2:  # REST writes still get in
                rest = await c.post(f"{V}/sobjects/Account", json={"Name": "Between chunks"})
                assert rest.status_code == 201
        in_progress = [n for state, n in seen if state == "InProgress"]
        assert len(in_progress) >= 5 and in_progress == sorted(in_progress)
        assert info["state"] == "JobComplete"
        assert info["numberRecordsProcessed"] == 20_000
        assert c.emulator.org.count("Account") == 20_001


async def test_list_jobs_and_jobs_survive_only_in_their_registry() -> None:
    async with emulator_client() as c:
        first = await create(c, "Account", "insert")
        await create(c, "Contact", "delete")
        listing = (await c.get(INGEST)).json()
        assert listing["done"] is True and listing["nextRecordsUrl"] is None
        assert listing["records"][0]["id"] == first["id"]
        assert {r["object"] for r in listing["records"]} == {"Account", "Contact"}
        assert all(r["jobType"] == "V2Ingest" for r in listing["records"])
        bulk = c.emulator.bulk
        assert isinstance(bulk, BulkJobs)
        bulk.clear()
        assert (await c.get(INGEST)).json()["records"] == []


async def test_list_jobs_answers_a_thousand_a_page_and_links_the_next() -> None:
    async with emulator_client() as c:
        created = {(await create(c, "Account", "insert"))["id"] for _ in range(1_001)}
        first = (await c.get(INGEST, params={"jobType": "V2Ingest"})).json()
        assert first["done"] is False and len(first["records"]) == 1_000
        assert first["nextRecordsUrl"].startswith(f"{INGEST}?")
        second = (await c.get(first["nextRecordsUrl"])).json()
        assert second["done"] is True and second["nextRecordsUrl"] is None
        assert {r["id"] for r in first["records"] + second["records"]} == created


async def test_relationship_columns_id_keyed_upsert_and_hard_delete() -> None:
    async with emulator_client() as c:
        org = c.emulator.org
        parent = org.insert("Account", {"Name": "Parent", "External_Id__c": "ACC"}).id
        assert parent is not None
        data = "Invoice_Number__c,Name,Account__r.External_Id__c\nI-1,Inv,ACC\n"
        _, info = await run_job(
            c, "Invoice__c", "upsert", data, externalIdFieldName="Invoice_Number__c"
        )
        assert info["numberRecordsFailed"] == 0
        [invoice_id] = org.find_by_external_id("Invoice__c", "Invoice_Number__c", "I-1")
        assert org.get("Invoice__c", invoice_id)["Account__c"] == parent
        # `#N/A` in a relationship column clears the reference.
        data = "Invoice_Number__c,Account__r.External_Id__c\nI-1,#N/A\n"
        await run_job(c, "Invoice__c", "upsert", data, externalIdFieldName="Invoice_Number__c")
        assert org.get("Invoice__c", invoice_id)["Account__c"] is None

        # Upsert keyed on Id: a blank Id inserts, a known one updates.
        data = f"Id,Name\n,Fresh\n{parent},Renamed\n"
        job_id, info = await run_job(c, "Account", "upsert", data, externalIdFieldName="Id")
        assert info["numberRecordsFailed"] == 0
        _, ok = await result(c, job_id, "successfulResults")
        assert [r[1] for r in ok[1:]] == ["true", "false"]
        assert org.get("Account", parent)["Name"] == "Renamed"

        _, info = await run_job(c, "Invoice__c", "insert", "Name,Nope__r.Key__c\nX,1\n")
        assert info["errorMessage"] == "InvalidBatch : Field name not found : Nope__r.Key__c"

        job = await create(c, "Account", "hardDelete")
        assert job["operation"] == "hardDelete"
        await upload(c, job["id"], f"Id\n{ok[1][0]}\n")
        await close(c, job["id"])
        info = await poll(c, f"{INGEST}/{job['id'][:15]}")  # 15-char ids work too
        assert info["numberRecordsProcessed"] == 1 and info["numberRecordsFailed"] == 0


async def test_byte_order_mark_is_part_of_the_first_column_name() -> None:
    """A UTF-8 BOM is not stripped by real orgs: the first column is then unknown."""
    async with emulator_client() as c:
        _, info = await run_job(c, "Account", "insert", "\ufeffName\nA\n")
        assert info["state"] == "Failed"
        assert info["errorMessage"] == "InvalidBatch : Field name not found : \ufeffName"
