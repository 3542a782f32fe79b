"""The concurrency pool on its own: limit, sharing, order, cancellation, resizing."""

from __future__ import annotations

import asyncio

import pytest

from forcebridge.salesforce import ConcurrencyPool

pytestmark = pytest.mark.anyio


async def _work(pool: ConcurrencyPool, seen: list[int], order: list[int], n: int) -> None:
    async with pool.slot():
        seen.append(pool.in_flight)
        order.append(n)
        await asyncio.sleep(0.005)


async def test_never_more_than_the_limit_and_first_come_first_served() -> None:
    pool = ConcurrencyPool(3)
    seen: list[int] = []
    order: list[int] = []
    await asyncio.gather(*(_work(pool, seen, order, n) for n in range(20)))
    assert max(seen) == 3 == pool.peak
    assert order == list(range(20))
    assert pool.in_flight == 0 and pool.calls == 20


async def test_cancelled_waiter_gives_its_place_back() -> None:
    pool = ConcurrencyPool(1)
    await pool.acquire()
    waiter = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    pool.release()
    assert pool.in_flight == 0
    async with pool.slot():
        assert pool.in_flight == 1


async def test_raising_the_limit_lets_waiters_in() -> None:
    pool = ConcurrencyPool(1)
    await pool.acquire()
    waiters = [asyncio.create_task(pool.acquire()) for _ in range(2)]
    await asyncio.sleep(0)
    assert pool.in_flight == 1
    pool.set_limit(3)
    await asyncio.gather(*waiters)
    assert pool.in_flight == 3


def test_limits_are_checked() -> None:
    for bad in (0, -1, 101):
        with pytest.raises(ValueError):
            ConcurrencyPool(bad)
    with pytest.raises(RuntimeError):
        ConcurrencyPool(1).release()
