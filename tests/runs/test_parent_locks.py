"""Children of one parent never go out in concurrent bulk jobs, and lock failures are retried.

The emulator models Bulk API processing time and parent row locks (`bulk_rate`,
`parent_locks`): an internal batch holds its rows' parents for its processing time, and a batch
meeting one of them waits `lock_wait`, then fails those rows `UNABLE_TO_LOCK_ROW`. Invoices
referencing a few accounts, sent as several bulk jobs, meet that unless they are grouped.
"""

from __future__ import annotations

import pytest

from forcebridge.runs import run_integration
from forcebridge.runs.parents import Lanes, ParentsInFlight, by_parent, chunk_parents, parents_of
from forcebridge.sync.diff import Change, Diffed
from tests.runs.conftest import World, write_csv

pytestmark = pytest.mark.anyio

N, ACCOUNTS = 1_200, 6
# each job (300 records) is one internal batch holding its parents for 0.15 s; a batch waits
# 20 ms for a locked parent before its rows fail
LOCKS = "bulk_rate=2000,bulk_batch=300,bulk_parallel=8,parent_locks=1,lock_wait=20"


def rows() -> list[dict[str, str]]:
    # every account is referenced all through the file, as in a file ordered by invoice number
    return [{"number": f"INV-{i:06d}", "account": f"A-{i % ACCOUNTS}", "amount": "1.50",
             "status": "sent"} for i in range(N)]


def setup(world: World, *, grouped: bool) -> str:
    for a in range(ACCOUNTS):
        world.emu.org.insert("Account", {"Name": f"Acme {a}", "External_Id__c": f"A-{a}"})
    world.rt.settings.run_bulk_poll_seconds = 0.01
    world.rt.settings.run_bulk_job_records = 300
    world.rt.settings.run_group_by_parent = grouped
    write_csv(world.files / "invoices.csv", rows())
    iid = world.integration(reference=True, bulk_threshold=1)
    world.emu.faults(LOCKS)
    return iid


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_grouped_by_parent_no_bulk_row_meets_a_lock(world: World) -> None:
    iid = setup(world, grouped=True)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.created, run.failed) == ("succeeded", N, 0)
    assert world.emu.emulator.faults.injected["lock"] == 0
    assert len(world.invoices()) == N


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
    whole = lanes.rest(1000)  # one job per lane that holds records
    assert 1 < len(whole) <= 3
    assert sorted(r.key for job in whole for r in job) == sorted(r.key for r in records)
    for job in whole:
        for other in whole:
            if job is not other:
                assert not chunk_parents(job) & chunk_parents(other)
    assert lanes.rest(1000) == []
    lanes.add(records)
    cut = lanes.full(5)
    assert cut and all(len(job) == 5 for job in cut)
    assert sum(map(len, cut + lanes.rest(5))) == 70
