"""Bulk API 2.0 ingest end to end against the emulator: CSV streamed up, results streamed back.

Lifecycle per the Bulk API 2.0 Developer Guide ("Bulk API 2.0 Ingest": create job, upload job
data, close job, get job info, get successful/failed record results).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from forcebridge.salesforce import Call, OutcomeUnknown, RecordError, csv_chunks
from forcebridge.salesforce.bulk import FASTEST_PACE, paced_ask, parse_csv_lines
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


async def test_on_closed_hears_the_job_once_all_its_data_is_up(emu: Emulated) -> None:
    heard: list[tuple[str, int]] = []
    async with emu.client() as sf:
        job = await sf.bulk_ingest(
            "Account", "insert", b"Name\nA\nB\n", poll_interval=0.01,
            on_closed=lambda j: heard.append((j.state, emu.org.count("Account"))),
        )
    assert job.state == "JobComplete"
    assert heard == [("UploadComplete", heard[0][1])]  # once, closed, before it was waited for


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


async def test_a_watch_waits_for_open_jobs_with_one_listing_a_round(emu: Emulated) -> None:
    emu.faults("bulk_rate=400,bulk_batch=100")  # 200 rows: two batches of 0.25 s each
    calls: list[Call] = []
    async with emu.client(on_call=calls.append) as sf:
        watch = sf.bulk_watch(poll_interval=0.05, max_interval=0.1)
        jobs = await asyncio.gather(*(
            sf.bulk_ingest("Account", "insert", csv_chunks(["Name"], [
                {"Name": f"{n} {i}"} for i in range(200)]), watch=watch)
            for n in ("first", "second")
        ))
        assert [j.state for j in jobs] == ["JobComplete", "JobComplete"]
        # a job that failed is asked about alone, for its message
        with pytest.raises(RecordError, match="NoSuchField__c"):
            await sf.bulk_ingest("Account", "insert", b"NoSuchField__c\nx\n", watch=watch)
    waits = [c for c in calls if c.method == "GET"]
    listings = [c for c in waits if c.path.endswith("/jobs/ingest")]
    alone = [c for c in waits if c.path.endswith("/jobs/ingest/{id}")]
    assert len(listings) >= 2  # the rounds while both jobs were open: one call each
    assert len(alone) <= 3  # the last job open, and the failed one
    assert emu.org.count("Account") == 400


async def test_a_large_job_is_not_asked_about_before_the_fastest_pace_could_finish_it(
    emu: Emulated,
) -> None:
    calls: list[Call] = []
    rows = [{"Name": f"Pace {i}"} for i in range(5_000)]
    async with emu.client(on_call=calls.append) as sf:
        watch = sf.bulk_watch(poll_interval=0.01, max_interval=0.02)
        job = await sf.bulk_ingest("Account", "insert", csv_chunks(["Name"], rows),
                                   watch=watch, records=len(rows))
    assert job.state == "JobComplete"
    closed = next(c for c in calls if c.method == "PATCH")
    asked = [c for c in calls if c.method == "GET" and c.path.endswith("/jobs/ingest/{id}")]
    # 5,000 records at 50,000 a second at best: 0.1 s, not the 0.01 s of the poll interval
    assert (asked[0].started_ns - closed.ended_ns) / 1e9 >= 5_000 * FASTEST_PACE
    assert len(asked) == 1  # the emulator without its bulk model is done by then


def test_once_the_pace_is_known_a_job_is_asked_about_when_it_could_be_done_not_sooner() -> None:
    # closed at 10 s with 50,000 records, at 0.1 ms a record: done at 15 s at the earliest
    assert paced_ask(10.0, 50_000, 0.0001, now=12.0, poll_interval=0.3) == (15.0, 0.5)
    # a job past that is finishing: asked a tenth of its expected time from now
    assert paced_ask(10.0, 50_000, 0.0001, now=16.0, poll_interval=0.3) == (16.6, 0.6)
    # a small job: never sooner than the poll interval
    assert paced_ask(10.0, 100, 0.0001, now=10.5, poll_interval=0.3) == (10.8, 0.3)
