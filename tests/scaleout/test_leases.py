"""The connection's concurrency leased in Redis: held across pools as across processes, slots
of a holder that died come back, and calls wait for a Redis that went away."""

from __future__ import annotations

import asyncio

import pytest
import redis

from forcebridge.salesforce.leases import KEY_PREFIX, RedisSlots, SharedConcurrencyPool
from forcebridge.salesforce.pools import ConnectionPools
from tests.scaleout.servers import RedisServer

pytestmark = pytest.mark.anyio


class Gauge:
    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    async def call(self, pool: SharedConcurrencyPool, seconds: float = 0.01) -> None:
        async with pool.slot():
            self.now += 1
            self.peak = max(self.peak, self.now)
            await asyncio.sleep(seconds)
            self.now -= 1


async def test_pools_of_separate_processes_never_exceed_the_level_together(
    redis_url: str,
) -> None:
    # each RedisSlots stands for one process: its own local pool, its own leases
    processes = [RedisSlots(redis_url).pool("conn1", 3) for _ in range(4)]
    gauge = Gauge()
    await asyncio.gather(*(gauge.call(p) for p in processes for _ in range(10)))
    assert gauge.peak == 3  # reached, never passed
    assert all(p.peak <= 3 for p in processes)
    assert redis.Redis.from_url(redis_url).zcard(KEY_PREFIX + "conn1") == 0


async def test_connection_pools_lease_in_redis_when_given_slots(redis_url: str) -> None:
    pools = ConnectionPools(RedisSlots(redis_url))
    pool = pools.for_lender("lender", 2)
    assert isinstance(pool, SharedConcurrencyPool)
    assert pools.for_lender("lender", 5) is pool and pool.limit == 5
    assert type(ConnectionPools().for_lender("lender", 2)) is not SharedConcurrencyPool


async def test_slots_of_a_holder_that_stopped_come_back_when_their_lease_ends(
    redis_url: str,
) -> None:
    dead = RedisSlots(redis_url, lease_seconds=1).pool("conn1", 2)
    await dead.acquire()
    await dead.acquire()
    assert dead._renewal is not None
    dead._renewal.cancel()  # the process died: nobody renews, nobody gives back
    alive = RedisSlots(redis_url, lease_seconds=1).pool("conn1", 2)
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(alive.acquire(), timeout=5)
    waited = asyncio.get_running_loop().time() - started
    assert 0.5 < waited < 3
    alive.release()


async def test_a_holder_renews_its_leases_while_its_calls_last(redis_url: str) -> None:
    holder = RedisSlots(redis_url, lease_seconds=1).pool("conn1", 1)
    await holder.acquire()
    await asyncio.sleep(1.6)  # longer than a lease: renewed meanwhile
    other = RedisSlots(redis_url, lease_seconds=1).pool("conn1", 1)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(other.acquire(), timeout=0.5)
    holder.release()
    await asyncio.wait_for(other.acquire(), timeout=2)
    other.release()


async def test_calls_wait_while_redis_is_down_and_go_on_when_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with RedisServer() as server:
        pool = RedisSlots(server.url).pool("conn1", 2)
        async with pool.slot():
            pass
        server.stop()
        waiting = asyncio.create_task(pool.acquire())
        await asyncio.sleep(1.5)
        assert not waiting.done()
        assert "Redis cannot be reached" in caplog.text
        server.start()
        await asyncio.wait_for(waiting, timeout=10)
        pool.release()
