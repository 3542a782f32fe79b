"""The concurrency pool: at most `limit` Salesforce calls in flight, across every client using it.

One pool belongs to one connection; a connection that borrows concurrency hands its clients
the lender's pool, so two connections sharing a pool of 3 never run more than 3 calls together.
Waiters are served first come, first served. The pool also counts what it saw (peak in flight,
calls, time spent waiting) so a bench or a test can check the limit held. It is an asyncio
object: every client sharing it must run on the same event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

MAX_LIMIT = 100


class ConcurrencyPool:
    """A FIFO counting limiter whose limit can be changed while calls run."""

    def __init__(self, limit: int = 1, *, name: str = "") -> None:
        self._check(limit)
        self._limit = limit
        self.name = name
        self.in_flight = 0
        self.peak = 0
        self.calls = 0
        self.waited_seconds = 0.0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @staticmethod
    def _check(limit: int) -> None:
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"concurrency limit must be an integer from 1 to {MAX_LIMIT}")

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        """Change the limit; a raise lets waiters in at once, a cut takes effect as calls end."""
        self._check(limit)
        self._limit = limit
        self._wake()

    async def acquire(self) -> None:
        if self.in_flight < self._limit and not self._waiters:
            self._enter()
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        started = time.monotonic()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                # The slot was handed to us just as we were cancelled: pass it on.
                self.release()
            else:
                self._waiters.remove(future)
            raise
        finally:
            self.waited_seconds += time.monotonic() - started

    def release(self) -> None:
        if self.in_flight <= 0:
            raise RuntimeError("release() without a matching acquire()")
        self.in_flight -= 1
        self._wake()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the duration of the block."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    def _enter(self) -> None:
        self.in_flight += 1
        self.calls += 1
        self.peak = max(self.peak, self.in_flight)

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self._limit:
            future = self._waiters.popleft()
            if future.done():
                continue
            self._enter()
            future.set_result(None)

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<ConcurrencyPool{label} limit={self._limit} in_flight={self.in_flight}>"
