"""One concurrency pool per lending connection, shared by every connection that borrows it."""

from __future__ import annotations

import threading

from forcebridge.salesforce.leases import RedisSlots
from forcebridge.salesforce.limiter import ConcurrencyPool


class ConnectionPools:
    """Pools keyed by the id of the connection that lends them, living as long as the process.

    The limit follows the lender's configured level each time a pool is handed out, so a
    change of concurrency applies to calls started after it. With `slots` (a broker is
    configured) every pool also leases its slots in Redis, so the level holds across all
    processes (salesforce.leases).
    """

    def __init__(self, slots: RedisSlots | None = None) -> None:
        self.slots = slots
        self._pools: dict[str, ConcurrencyPool] = {}
        self._lock = threading.Lock()

    def for_lender(self, lender_id: str, limit: int) -> ConcurrencyPool:
        with self._lock:
            pool = self._pools.get(lender_id)
            if pool is None:
                pool = self._pools[lender_id] = (
                    ConcurrencyPool(limit, name=lender_id) if self.slots is None
                    else self.slots.pool(lender_id, limit)
                )
            elif pool.limit != limit:
                pool.set_limit(limit)
            return pool

    def items(self) -> list[tuple[str, ConcurrencyPool]]:
        """(lender id, pool) of every pool made so far."""
        with self._lock:
            return list(self._pools.items())
