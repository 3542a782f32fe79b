"""Children of one parent never go out in concurrent bulk jobs, and lock failures are retried.

The emulator models Bulk API processing time and parent row locks (`bulk_rate`,
`parent_locks`): an internal batch holds its rows' parents for its processing time, and a batch
meeting one of them waits `lock_wait`, then fails those rows `UNABLE_TO_LOCK_ROW`. Invoices
referencing a few accounts, sent as several bulk jobs, meet that unless they are grouped.
"""

from __future__ import annotations

import pytest

from forcebridge.runs import run_integration
from forcebridge.runs.parents import (
    ORG_BATCH_RECORDS,
    Lanes,
    ParentsInFlight,
    aligned,
    by_parent,
    chunk_parents,
    parents_of,
)
from forcebridge.sync.diff import Change, Diffed
from tests.runs.conftest import World, write_csv

pytestmark = pytest.mark.anyio

N, ACCOUNTS = 1_200, 6
# each job (300 records) is one internal batch holding its parents for 0.15 s; a batch waits
# 20 ms for a locked parent before its rows fail
LOCKS = "bulk_rate=2000,bulk_batch=300,bulk_parallel=8,parent_locks=1,lock_wait=20"


def rows(n: int = N) -> list[dict[str, str]]:
    # every account is referenced all through the file, as in a file ordered by invoice number
    return [{"number": f"INV-{i:06d}", "account": f"A-{i % ACCOUNTS}", "amount": "1.50",
             "status": "sent"} for i in range(n)]


def setup(world: World, *, grouped: bool, n: int = N, job: int = 300,
          faults: str = LOCKS) -> str:
    for a in range(ACCOUNTS):
        world.emu.org.insert("Account", {"Name": f"Acme {a}", "External_Id__c": f"A-{a}"})
    world.rt.settings.run_bulk_poll_seconds = 0.01
    world.rt.settings.run_bulk_job_records = job
    world.rt.settings.run_group_by_parent = grouped
    write_csv(world.files / "invoices.csv", rows(n))
    iid = world.integration(reference=True, bulk_threshold=1)
    world.emu.faults(faults)
    return iid


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_grouped_by_parent_no_bulk_row_meets_a_lock(world: World) -> None:
    iid = setup(world, grouped=True)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.created, run.failed) == ("succeeded", N, 0)
    assert world.emu.emulator.faults.injected["lock"] == 0
    assert len(world.invoices()) == N


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_job_of_several_internal_batches_splits_no_parent_between_two(
    world: World,
) -> None:
    # 36,000 invoices of 6 accounts in 3 lanes: some lane holds 2 accounts or more, so its
    # jobs of 15,000 (two of the org's batches of 10,000, 0.2 s each, side by side) would
    # split an account's invoices at the boundary, and the second batch would wait for it
    n = 36_000
    faults = "bulk_rate=50000,bulk_parallel=8,parent_locks=1,lock_wait=20"
    iid = setup(world, grouped=True, n=n, job=15_000, faults=faults)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.created, run.failed) == ("succeeded", n, 0)
    assert world.emu.emulator.faults.injected["lock"] == 0
    assert len(world.invoices()) == n


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_ungrouped_jobs_meet_locks_and_their_rows_are_written_again_at_the_end(
    world: World,
) -> None:
    iid = setup(world, grouped=False)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert world.emu.emulator.faults.injected["lock"] > 0  # concurrent jobs did clash
    assert (run.status, run.created, run.failed) == ("succeeded", N, 0)
    assert world.events(run.id) == []
    assert len(world.invoices()) == N


def diffed(key: str, account: str | None) -> Diffed:
    payload = {"Name": key} | ({"Account__r": {"External_Id__c": account}} if account else {})
    return Diffed(key, payload, "h", Change.NEW, None, 0)


def test_parents_are_references_by_external_id_and_sorting_keeps_children_together() -> None:
    records = [diffed("1", "A"), diffed("2", "B"), diffed("3", None), diffed("4", "A")]
    assert parents_of(records[0].payload) == (("Account__r", "External_Id__c", "A"),)
    assert parents_of(records[2].payload) == ()
    ordered, parents = by_parent(records)
    assert [r.key for r in ordered] == ["1", "4", "2", "3"]
    assert parents == {("Account__r", "External_Id__c", "A"), ("Account__r", "External_Id__c", "B")}
    plain = [diffed("8", None), diffed("9", None)]
    assert by_parent(plain) == (plain, set())
    held = ParentsInFlight()
    first = chunk_parents(records[:2])
    held.take(first)
    assert held.clashes(chunk_parents([diffed("5", "B")]))
    assert not held.clashes(chunk_parents([diffed("6", "C"), diffed("7", None)]))
    held.give_back(first)
    assert not held.clashes(first)


def test_lanes_keep_each_parent_in_one_lane_and_leave_records_without_one_out() -> None:
    lanes = Lanes(3)
    records = [diffed(str(i), f"A{i % 7}") for i in range(70)]
    free = lanes.add([*records, diffed("x", None)])
    assert [r.key for r in free] == ["x"]
    whole, last = lanes.rest(1000)  # one job per lane that holds records
    assert 1 < len(whole) <= 3 and last == []
    assert sorted(r.key for job in whole for r in job) == sorted(r.key for r in records)
    for job in whole:
        for other in whole:
            if job is not other:
                assert not chunk_parents(job) & chunk_parents(other)
    assert lanes.rest(1000) == ([], [])
    lanes.add(records)
    cut = lanes.full(5)  # smaller than a batch: cut as it comes
    assert cut and all(len(job) == 5 for job in cut)
    jobs, last = lanes.rest(5)
    assert last == [] and sum(map(len, cut + jobs)) == 70


def batches_of(job: list[Diffed], batch: int) -> list[set[object]]:
    return [chunk_parents(job[i:i + batch]) for i in range(0, len(job), batch)]


def test_an_aligned_job_splits_no_parent_between_two_of_the_orgs_batches() -> None:
    # 7 children each of A0..A9, read in turns: sorted, batches of 10 would split A1 (7..13)
    records = [diffed(f"{i}", f"A{i % 10}") for i in range(70)]
    job, left = aligned(records, 30, batch=10)
    assert len(job) == 30 and len(left) == 40
    assert [r.key for r in job][:7] == [str(i) for i in range(0, 70, 10)]  # A0's children
    parts = batches_of(job, 10)
    assert all(not (a & b) for i, a in enumerate(parts) for b in parts[i + 1:])
    assert sorted(r.key for r in job + left) == sorted(r.key for r in records)
    # a parent with more children than a batch is kept whole: no order could part it
    big = [diffed(f"b{i}", "BIG") for i in range(25)] + [diffed("s", "SMALL")]
    job, left = aligned(big, 100, batch=10)
    assert len(job) == 26 and left == []
    # records without a parent fill any gap
    job, left = aligned([diffed(f"p{i}", None) for i in range(12)], 12, batch=5)
    assert len(job) == 12 and left == []
    assert ORG_BATCH_RECORDS == 10_000


def test_lanes_cut_aligned_jobs_and_leave_what_a_last_job_leaves_out_for_the_end() -> None:
    lanes = Lanes(1, batch=10)
    records = [diffed(f"{i}", f"A{i % 10}") for i in range(70)]
    lanes.add(records)
    cut = lanes.full(30)
    # the first 30 hold 3 children of each account: sorted, A3 (9..11) and A7 (19..21) would
    # cross the boundaries at 10 and 20, so each keeps one child and the job holds 26
    assert [len(job) for job in cut][:1] == [26] and all(len(job) <= 30 for job in cut)
    jobs, last = lanes.rest(30)
    every = cut + jobs
    assert sorted([r.key for job in every for r in job] + [r.key for r in last]) == sorted(
        r.key for r in records)
    for job in every:
        parts = batches_of(job, 10)
        assert all(not (a & b) for i, a in enumerate(parts) for b in parts[i + 1:])
    lanes.add(records[:25])  # A0..A4 three times, A5..A9 twice: 25 < 30, so no job is full
    jobs, last = lanes.rest(30)
    assert len(jobs) == 1 and len(jobs[0]) + len(last) == 25 and last
    assert not chunk_parents(jobs[0][:10]) & chunk_parents(jobs[0][10:20])
