"""Bulk API 2.0 processing time: internal batches at a rate, a bounded number at once.

Small batches and high rates keep these quick; what is asserted is how the modelled time adds
up (lower bounds the emulator cannot beat), not how fast the machine is.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from harness.http_client import Client, V, emulator_client
from test_bulk_ingest import INGEST, close, create, poll, result, upload

from forcebridge_emulator._faults import FaultConfig, FaultSpecError

pytestmark = pytest.mark.anyio


def accounts_csv(prefix: str, count: int) -> str:
    return "Name\n" + "".join(f"{prefix}-{i}\n" for i in range(count))


async def timed_jobs(c: Client, *sizes: int) -> tuple[float, list[dict[str, object]]]:
    """Start one insert job per size at once; (seconds until all completed, their infos)."""
    jobs = []
    for n, size in enumerate(sizes):
        job = await create(c, "Account", "insert")
        assert (await upload(c, job["id"], accounts_csv(f"J{n}", size))).status_code == 201
        jobs.append(job["id"])
    started = time.monotonic()
    for job_id in jobs:
        assert (await close(c, job_id)).status_code == 200
    infos = await asyncio.gather(*(poll(c, f"{INGEST}/{j}") for j in jobs))
    return time.monotonic() - started, infos


async def test_off_by_default_a_job_completes_without_modelled_time() -> None:
    async with emulator_client() as c:
        elapsed, (info,) = await timed_jobs(c, 400)
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 400
    assert elapsed < 0.4  # the modelled time with the rate below would be 0.4 s at least


async def test_batches_take_rows_over_rate_and_share_the_orgs_parallel_slots() -> None:
    # 400 rows in batches of 100 at 1,000 rows/s: 4 batches of 0.1 s each
    serial = FaultConfig.parse("bulk_rate=1000,bulk_batch=100,bulk_parallel=1")
    async with emulator_client(serial) as c:
        one_slot, (info,) = await timed_jobs(c, 400)
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 400
    assert one_slot >= 0.4
    assert info["totalProcessingTime"] >= 400

    parallel = FaultConfig.parse("bulk_rate=1000,bulk_batch=100,bulk_parallel=4")
    async with emulator_client(parallel) as c:
        four_slots, (info,) = await timed_jobs(c, 400)
        # two jobs of 400 share the same four slots: 8 batches, two rounds of 0.1 s at least
        two_jobs, infos = await timed_jobs(c, 400, 400)
    assert info["numberRecordsProcessed"] == 400
    assert four_slots < one_slot
    assert two_jobs >= 0.2
    assert all(i["state"] == "JobComplete" for i in infos)


async def test_an_aborted_job_gives_its_slot_back() -> None:
    config = FaultConfig.parse("bulk_rate=100,bulk_batch=100,bulk_parallel=1")
    async with emulator_client(config) as c:
        job = await create(c, "Account", "insert")
        assert (await upload(c, job["id"], accounts_csv("A", 1000))).status_code == 201
        assert (await close(c, job["id"])).status_code == 200
        await asyncio.sleep(0.05)
        assert (await close(c, job["id"], "Aborted")).status_code == 200
        aborted = await poll(c, f"{INGEST}/{job['id']}")
        assert aborted["state"] == "Aborted"
        c.emulator.faults.update({"bulk_rate": 100_000})
        _, (info,) = await timed_jobs(c, 50)
    assert info["state"] == "JobComplete"


def test_spec_keys_round_trip_and_bad_values_name_the_key() -> None:
    config = FaultConfig.parse("bulk_rate=2000,bulk_parallel=3,bulk_batch=500")
    assert (config.bulk_rate, config.bulk_parallel, config.bulk_batch) == (2000, 3, 500)
    assert FaultConfig.parse(config.spec()) == config
    assert FaultConfig().bulk_rate == 0 and FaultConfig().bulk_batch == 10_000
    with pytest.raises(FaultSpecError, match="bulk_parallel"):
        FaultConfig.parse("bulk_parallel=0")
    with pytest.raises(FaultSpecError, match="bulk_rate"):
        FaultConfig.parse("bulk_rate=fast")


# --- parent row locks -----------------------------------------------------------------------


async def account_ids(c: Client, count: int) -> list[str]:
    ids = []
    for i in range(count):
        response = await c.post(f"{V}/sobjects/Account", json={"Name": f"Parent {i}"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def contacts_csv(prefix: str, parents: list[str], per_parent: int) -> str:
    rows = [f"{prefix}-{p}-{k},{p}" for p in parents for k in range(per_parent)]
    return "LastName,AccountId\n" + "\n".join(rows) + "\n"


async def concurrent_contact_jobs(c: Client, *files: str) -> list[dict[str, object]]:
    jobs = []
    for data in files:
        job = await create(c, "Contact", "insert")
        assert (await upload(c, job["id"], data)).status_code == 201
        jobs.append(job["id"])
    for job_id in jobs:
        assert (await close(c, job_id)).status_code == 200
    return list(await asyncio.gather(*(poll(c, f"{INGEST}/{j}") for j in jobs)))


LOCKS = "bulk_rate=1000,bulk_batch=100,bulk_parallel=4,parent_locks=1,lock_wait=30"


async def test_concurrent_batches_sharing_parents_fail_unable_to_lock_row() -> None:
    async with emulator_client(FaultConfig.parse(LOCKS)) as c:
        parents = await account_ids(c, 4)
        first, second = await concurrent_contact_jobs(
            c, contacts_csv("A", parents, 25), contacts_csv("B", parents, 25))
        failed_text, failed = await result(c, str(second["id"]), "failedResults")
        injected = c.emulator.faults.injected["lock"]
    # each job is one batch of 100 holding its four parents for 0.1 s; the later one waits
    # 30 ms for them and fails every row
    assert first["numberRecordsFailed"] == 0
    assert second["numberRecordsFailed"] == 100
    assert failed[0][:2] == ["sf__Id", "sf__Error"]
    error = failed[1][1]
    assert error.startswith("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record")
    assert error.endswith(":--") and parents[0] in failed_text
    assert injected == 4


async def test_batches_with_their_own_parents_and_writes_that_wait_long_enough_succeed() -> None:
    async with emulator_client(FaultConfig.parse(LOCKS)) as c:
        parents = await account_ids(c, 8)
        disjoint = await concurrent_contact_jobs(
            c, contacts_csv("A", parents[:4], 25), contacts_csv("B", parents[4:], 25))
        c.emulator.faults.update({"lock_wait": 2000})
        waited = await concurrent_contact_jobs(
            c, contacts_csv("C", parents, 25), contacts_csv("D", parents, 25))
        unlocked = c.emulator.faults.update({"parent_locks": 0})
        assert not unlocked.parent_locks
        free = await concurrent_contact_jobs(
            c, contacts_csv("E", parents, 25), contacts_csv("F", parents, 25))
    assert [i["numberRecordsFailed"] for i in disjoint + waited + free] == [0] * 6


async def test_batches_of_one_job_sharing_parents_wait_for_each_other() -> None:
    config = FaultConfig.parse(LOCKS.replace("lock_wait=30", "lock_wait=2000"))
    async with emulator_client(config) as c:
        parents = await account_ids(c, 4)
        head, *rows = contacts_csv("A", parents, 50).splitlines()
        interleaved = [rows[(i % 4) * 50 + i // 4] for i in range(200)]
        (shared,) = await concurrent_contact_jobs(c, "\n".join([head, *interleaved]) + "\n")
        (grouped,) = await concurrent_contact_jobs(c, contacts_csv("B", parents, 50))
    # two batches of 100 at 1,000 rows/s: one after the other when every row's parent recurs
    # in both, side by side when the rows come grouped by parent
    assert shared["numberRecordsFailed"] == grouped["numberRecordsFailed"] == 0
    assert shared["totalProcessingTime"] >= 200
    assert grouped["totalProcessingTime"] < shared["totalProcessingTime"]


async def test_batches_of_one_job_run_side_by_side_and_those_kept_waiting_fail() -> None:
    # four batches of 100 at 1,000 rows/s (0.1 s each), four slots, a 150 ms lock wait
    config = FaultConfig.parse(LOCKS.replace("lock_wait=30", "lock_wait=150"))
    async with emulator_client(config) as c:
        parents = await account_ids(c, 4)
        head, *rows = contacts_csv("A", parents, 100).splitlines()
        shared = [rows[(i % 4) * 100 + i // 4] for i in range(400)]  # every batch: all four
        (clash,) = await concurrent_contact_jobs(c, "\n".join([head, *shared]) + "\n")
        _, failed = await result(c, str(clash["id"]), "failedResults")
        (grouped,) = await concurrent_contact_jobs(c, contacts_csv("B", parents, 100))
    # all four start at once: one works, the next gets the parents after 0.1 s, and the two
    # still waiting at 0.15 s fail every row; grouped by parent, none waits
    assert clash["numberRecordsProcessed"] == 400
    assert clash["numberRecordsFailed"] == 200
    assert {row[1].split(":")[0] for row in failed[1:]} == {"UNABLE_TO_LOCK_ROW"}
    assert grouped["numberRecordsFailed"] == 0
    assert grouped["totalProcessingTime"] < 200
