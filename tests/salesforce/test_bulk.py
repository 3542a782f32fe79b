"""Bulk API 2.0 ingest end to end against the emulator: CSV streamed up, results streamed back.

Lifecycle per the Bulk API 2.0 Developer Guide ("Bulk API 2.0 Ingest": create job, upload job
data, close job, get job info, get successful/failed record results).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from forcebridge.salesforce import OutcomeUnknown, csv_chunks
from forcebridge.salesforce.bulk import parse_csv_lines
from tests.salesforce.emulated import Emulated

pytestmark = pytest.mark.anyio


async def test_insert_job_with_streamed_csv_and_results(emu: Emulated) -> None:
    rows: list[dict[str, str | None]] = [{"Name": f"Bulk {i}", "Phone": str(i)} for i in range(300)]
    rows[5] = {"Name": None, "Phone": "no name"}  # "#N/A" sets null: REQUIRED_FIELD_MISSING
    rows[6] = {"Name": 'Quote "and, comma"\nnew line', "Phone": "6"}
    async with emu.client() as sf:
        job = await sf.bulk_ingest(
            "Account", "insert", csv_chunks(["Name", "Phone"], rows), poll_interval=0.01
        )
        assert job.state == "JobComplete"
        assert (job.records_processed, job.records_failed) == (300, 1)
        ok = [r async for r in sf.bulk_results(job.id)]
        failed = [r async for r in sf.bulk_results(job.id, "failedResults")]
    assert len(ok) == 299 and all(r["sf__Created"] == "true" for r in ok)
    assert {r["Name"] for r in ok} >= {'Quote "and, comma"\nnew line', "Bulk 299"}
    assert len(failed) == 1 and failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING")
    assert emu.org.count("Account") == 299


async def test_upsert_job_by_external_id_from_bytes(emu: Emulated) -> None:
    async with emu.client() as sf:
        await sf.create("Account", {"Name": "Old", "External_Id__c": "E1"})
        data = b"External_Id__c,Name\nE1,Renamed\nE2,New\n"
        job = await sf.bulk_ingest(
            "Account", "upsert", data, external_id_field="External_Id__c", poll_interval=0.01
        )
        assert job.state == "JobComplete" and job.records_failed == 0
        created = {r["External_Id__c"]: r["sf__Created"] async for r in sf.bulk_results(job.id)}
        names = sorted([r["Name"] async for r in sf.query("SELECT Name FROM Account")])
    assert created == {"E1": "false", "E2": "true"}
    assert names == ["New", "Renamed"]


async def test_lost_job_creation_is_not_repeated(emu: Emulated) -> None:
    emu.faults("drop=1")
    async with emu.client() as sf:
        with pytest.raises(OutcomeUnknown):
            await sf.bulk_ingest("Account", "insert", b"Name\nX\n", poll_interval=0.01)


async def test_csv_lines_parse_quoted_newlines() -> None:
    async def lines() -> AsyncIterator[str]:
        for line in ['"sf__Id","Name"', '"001","a ""b"""', '"002","multi', 'line"', ""]:
            yield line

    rows = [r async for r in parse_csv_lines(lines())]
    assert rows == [["sf__Id", "Name"], ["001", 'a "b"'], ["002", "multi\nline"]]
