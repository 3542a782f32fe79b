"""The client under every fault the emulator injects: retries, lost answers, limits, pooling."""

from __future__ import annotations

import asyncio

import pytest

from forcebridge.salesforce import (
    ConcurrencyPool,
    LimitExceeded,
    OutcomeUnknown,
    RetryableError,
    SalesforceError,
)
from tests.salesforce.emulated import Emulated, on_socket

pytestmark = pytest.mark.anyio


async def count(emu: Emulated, sobject: str = "Account") -> int:
    return emu.org.count(sobject)


async def test_503_is_retried_until_it_passes(emu: Emulated) -> None:
    emu.faults("error503=0.4,seed=3")
    async with emu.client() as sf:
        for i in range(15):
            await sf.create("Account", {"Name": f"R{i}"})
    assert emu.emulator.faults.injected["error503"] > 0
    assert await count(emu) == 15  # a refused create was not applied, so repeating it is safe


async def test_retries_are_bounded(emu: Emulated) -> None:
    emu.faults("error503=1")
    async with emu.client() as sf:
        with pytest.raises(RetryableError) as caught:
            await sf.limits()
    assert caught.value.code == "SERVER_UNAVAILABLE" and caught.value.status == 503
    assert emu.emulator.faults.injected["error503"] == 4  # RetryPolicy(attempts=4)


async def test_row_lock_on_a_single_write_is_retried(emu: Emulated) -> None:
    async with emu.client() as sf:
        record_id = await sf.create("Account", {"Name": "Locked"})
        emu.faults("lock=0.5,seed=1")
        for i in range(8):
            await sf.update("Account", record_id, {"Phone": str(i)})
        emu.faults("lock=1")
        with pytest.raises(RetryableError) as caught:
            await sf.update("Account", record_id, {"Phone": "x"})
    assert caught.value.code == "UNABLE_TO_LOCK_ROW"
    assert emu.org.get("Account", record_id)["Phone"] == "7"


async def test_row_locks_in_collections_are_retried_per_record(emu: Emulated) -> None:
    emu.faults("lock=0.5,seed=1")
    async with emu.client() as sf:
        results = await sf.create_many("Account", [{"Name": f"L{i}"} for i in range(450)])
    assert emu.emulator.faults.injected["lock"] > 0
    assert all(r.success for r in results), [r.errors for r in results if not r.success]
    assert await count(emu) == 450


async def test_lost_create_is_not_repeated(emu: Emulated) -> None:
    emu.faults("drop=1")
    async with emu.client() as sf:
        with pytest.raises(OutcomeUnknown) as caught:
            await sf.create("Account", {"Name": "Maybe"})
        assert isinstance(caught.value, RetryableError)
        assert emu.emulator.faults.injected["drop"] == 1
        assert await count(emu) == 1  # applied once, and only once
        with pytest.raises(OutcomeUnknown):
            await sf.create_many("Account", [{"Name": "M1"}, {"Name": "M2"}])
        assert await count(emu) == 3


async def test_lost_idempotent_writes_are_repeated(emu: Emulated) -> None:
    async with emu.client() as sf:
        record_id = await sf.create("Account", {"Name": "Keep"})
        emu.faults("drop=0.3,seed=2")
        for i in range(6):
            await sf.update("Account", record_id, {"Phone": f"p{i}"})
            await sf.upsert("Account", "External_Id__c", f"K{i}", {"Name": f"K{i}"})
        await sf.update_many("Account", [{"Id": record_id, "Fax": "f"}])
        await sf.delete("Account", record_id)
    assert emu.emulator.faults.injected["drop"] > 0
    assert emu.org.count("Account") == 6  # the upserts, each once


async def test_exhausted_allocation_is_limit_exceeded_and_not_retried(emu: Emulated) -> None:
    async with emu.client() as sf:
        await sf.limits()
        emu.faults("exhaust=1")
        with pytest.raises(LimitExceeded) as caught:
            await sf.limits()
        assert caught.value.code == "REQUEST_LIMIT_EXCEEDED" and caught.value.status == 403
        assert sf.usage is not None and sf.usage.remaining == 0
    assert emu.stats()["forcebridge demo"]["calls"] == 2


async def test_never_more_calls_in_flight_than_the_pool_allows(emu: Emulated) -> None:
    emu.faults("latency=20")
    pool = ConcurrencyPool(3)
    async with emu.client(pool=pool) as sf:
        await sf.authorize()
        await asyncio.gather(*(sf.limits() for _ in range(15)))
    assert pool.peak == 3
    assert emu.stats()["forcebridge demo"]["max_in_flight"] == 3


async def test_two_clients_sharing_a_pool_stay_within_it(emu: Emulated) -> None:
    emu.faults("latency=20")
    shared = ConcurrencyPool(3)
    async with emu.client(pool=shared) as a, emu.client(pool=shared) as b:
        await asyncio.gather(a.authorize(), b.authorize())
        await asyncio.gather(*(c.limits() for c in (a, b) for _ in range(10)))
    assert shared.peak == 3
    assert emu.stats()["forcebridge demo"]["max_in_flight"] == 3


async def test_separate_pools_add_up(emu: Emulated) -> None:
    """The control for the test above: without sharing, the org sees both pools at once."""
    emu.faults("latency=20")
    async with (
        emu.client(pool=ConcurrencyPool(3)) as a,
        emu.client(pool=ConcurrencyPool(3)) as b,
    ):
        await asyncio.gather(a.authorize(), b.authorize())
        await asyncio.gather(*(c.limits() for c in (a, b) for _ in range(10)))
    assert emu.stats()["forcebridge demo"]["max_in_flight"] == 6


async def test_over_a_socket_dropped_connections_and_timeouts() -> None:
    with on_socket() as emu:
        async with emu.client(timeout=0.3) as sf:
            record_id = await sf.create("Account", {"Name": "Sock"})
            emu.faults("drop=1")
            with pytest.raises(OutcomeUnknown):
                await sf.create("Account", {"Name": "Lost"})
            assert emu.org.count("Account") == 2
            with pytest.raises(RetryableError) as caught:
                await sf.update("Account", record_id, {"Phone": "1"})
            assert not isinstance(caught.value, OutcomeUnknown)
            assert emu.emulator.faults.injected["drop"] == 1 + 4  # the update was repeated
            emu.faults("latency=600")
            with pytest.raises(RetryableError) as timed_out:
                await sf.get("Account", record_id)
            assert timed_out.value.code == "TIMEOUT"
            with pytest.raises(OutcomeUnknown):
                await sf.create("Account", {"Name": "Slow"})
            emu.faults("")
            assert (await sf.get("Account", record_id))["Phone"] == "1"


async def test_every_way_a_call_ends_gives_its_pool_slot_back(emu: Emulated) -> None:
    """The slot is bound to the answer: success, an error answer, retries spent, a lost
    answer, a dead session logged into again, a query left after its first page: none keeps
    a slot."""
    pool = ConcurrencyPool(1)
    async with emu.client(pool=pool) as sf:
        record_id = await sf.create("Account", {"Name": "Slot"})
        assert pool.in_flight == 0
        with pytest.raises(SalesforceError):
            await sf.update("Account", "001000000000000AAA", {"Name": "x"})
        assert pool.in_flight == 0
        emu.faults("error503=1")
        with pytest.raises(RetryableError):
            await sf.limits()
        assert pool.in_flight == 0
        emu.faults("drop=1")
        with pytest.raises(OutcomeUnknown):
            await sf.create("Account", {"Name": "Lost"})
        assert pool.in_flight == 0
        emu.faults("expire_after=2")
        for i in range(3):
            await sf.update("Account", record_id, {"Phone": str(i)})
        assert pool.in_flight == 0
        emu.faults("none")
        first = await anext(aiter(sf.query("SELECT Id FROM Account")))
        assert first["Id"] and pool.in_flight == 0
        calls = sf.calls
        async with asyncio.timeout(5):  # a leaked slot would make this wait for ever
            await sf.limits()
        assert sf.calls == calls + 1
