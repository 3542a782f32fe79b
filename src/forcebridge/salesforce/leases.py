"""A connection's concurrency held across processes and machines: slots leased in Redis.

With several workers, the in-process `ConcurrencyPool` alone would let each process run the
connection's whole level. `SharedConcurrencyPool` adds a second gate: a slot in a Redis sorted
set per lending connection (`forcebridge:slots:<id>`), member a lease token, score the moment
the lease ends. Taking a slot is one Lua script (drop expired leases, count, add), so no two
processes can both take the last slot. The holder renews its leases while it holds them; a
process that dies (`kill -9`) stops renewing and its slots come back when their leases end,
never lost. Times come from the Redis server's clock, so machines' clocks do not matter.

When Redis cannot be reached, calls wait (and say so in the log) until it answers again: the
limit is the promise, and running without it could break what the org allows. A Redis that
restarted without its data forgets the leases held; each holder puts its own back at its next
renewal, and at once before it takes a new slot.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
import weakref
from typing import Any

from forcebridge.salesforce.limiter import ConcurrencyPool

log = logging.getLogger("forcebridge.salesforce")

KEY_PREFIX = "forcebridge:slots:"

# KEYS[1] the pool; ARGV: token, limit, lease in ms. 1 when the slot was taken.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  return 1
end
return 0
"""

# KEYS[1] the pool; ARGV: lease in ms, then the tokens this holder holds.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease * 2)
return #ARGV - 1
"""

_UNREACHABLE_PAUSE = 1.0
_FIRST_POLL = 0.002
_LAST_POLL = 0.01


class RedisSlots:
    """Where shared pools keep their leases: one Redis, one lease length, for a process.

    Redis clients are made per event loop (a client belongs to the loop it first ran on), so
    one `RedisSlots` serves a worker's loop and a CLI's successive `asyncio.run` alike.
    """

    def __init__(self, url: str, *, lease_seconds: float = 30.0) -> None:
        self.url = url
        self.lease_ms = max(int(lease_seconds * 1000), 1000)
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def client(self) -> Any:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        found = self._clients.get(loop)
        if found is None:
            found = self._clients[loop] = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=5, socket_connect_timeout=2
            )
        return found

    def pool(self, name: str, limit: int) -> SharedConcurrencyPool:
        return SharedConcurrencyPool(self, limit, name=name)


def _unreachable(exc: BaseException) -> bool:
    import redis.exceptions

    return isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError
                      | OSError)


class SharedConcurrencyPool(ConcurrencyPool):
    """A `ConcurrencyPool` whose every slot is also a lease in Redis, so its limit holds
    across every process that uses the same connection."""

    def __init__(self, slots: RedisSlots, limit: int = 1, *, name: str = "") -> None:
        super().__init__(limit, name=name)
        self.slots = slots
        self.key = KEY_PREFIX + name
        self.held: list[str] = []
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._renewal: asyncio.Task[None] | None = None
        self._lost = False  # Redis did not answer: put our leases back before taking more
        self._background: set[asyncio.Task[None]] = set()
        self._prefix = f"{socket.gethostname()}:{os.getpid()}:"

    async def acquire(self) -> None:
        await super().acquire()
        try:
            await self._take()
        except BaseException:
            super().release()
            raise

    def release(self) -> None:
        token = self.held.pop() if self.held else None
        super().release()
        if token is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to tell Redis from: the lease ends by itself
            return
        task = loop.create_task(self._give_back(token))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _take(self) -> None:
        # one poller per process and pool: the others wait their turn in the local pool
        gate = self._gates.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with gate:
            token = self._prefix + uuid.uuid4().hex
            pause = _FIRST_POLL
            while True:
                try:
                    if self._lost:
                        await self._renew()
                        self._lost = False
                    taken = await self.slots.client().eval(
                        _TAKE, 1, self.key, token, self.limit, self.slots.lease_ms)
                except Exception as exc:
                    if not _unreachable(exc):
                        raise
                    self._say_unreachable(exc)
                    await asyncio.sleep(_UNREACHABLE_PAUSE)
                    continue
                if taken:
                    self.held.append(token)
                    self._keep_renewing()
                    return
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LAST_POLL)

    def _say_unreachable(self, exc: BaseException) -> None:
        if not self._lost:
            log.warning(
                "salesforce: Redis cannot be reached (%s); calls on this connection wait "
                "until it answers", type(exc).__name__,
                extra={"fields": {"connection_id": self.name}},
            )
        self._lost = True

    async def _give_back(self, token: str) -> None:
        try:
            await self.slots.client().zrem(self.key, token)
        except Exception as exc:  # the lease ends by itself
            log.info("salesforce: slot not given back (%s); its lease ends",
                     type(exc).__name__)

    async def _renew(self) -> None:
        if self.held:
            await self.slots.client().eval(
                _RENEW, 1, self.key, self.slots.lease_ms, *self.held)

    def _keep_renewing(self) -> None:
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.get_running_loop().create_task(self._renew_while_held())

    async def _renew_while_held(self) -> None:
        period = self.slots.lease_ms / 3000
        while self.held:
            await asyncio.sleep(period)
            try:
                await self._renew()
            except Exception as exc:
                if not _unreachable(exc):
                    raise
                self._say_unreachable(exc)
