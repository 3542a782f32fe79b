"""Parent row locks: why parallel loads of contacts, opportunities or line items fail.

A real org locks a parent record while a child referencing it is written, for the length of
the transaction. Another write needing the same parent waits for it (about 10 seconds) and
then fails that record with `UNABLE_TO_LOCK_ROW` ("unable to obtain exclusive access to this
record or N records"). With `parent_locks=1` the emulator does the same for the writes that
hold a transaction open for a while: Bulk API 2.0 internal batches, for their modelled
processing time (`bulk_pace`). A parent is named by the
reference field and the value the write gave (`AccountId=001...`, or `Account.External_Id__c=A1`
in a bulk CSV), so writes that name their parents the same way meet each other's locks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from forcebridge_emulator._faults import Faults

Parent = tuple[str, str]  # (reference field or Relationship.KeyField, value)
# references whose parent rows real orgs do not lock for a child write
UNLOCKED = frozenset({"OwnerId", "RecordTypeId", "CreatedById", "LastModifiedById"})


def lock_message(record_id: str) -> str:
    """The message of `UNABLE_TO_LOCK_ROW`, naming the record that could not be locked."""
    return f"unable to obtain exclusive access to this record or 1 records: {record_id}"


class ParentLocks:
    """Which parents the writes in flight hold; a write takes its parents or waits for them."""

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._held: dict[Parent, object] = {}
        self._released: asyncio.Event | None = None

    @property
    def enabled(self) -> bool:
        return self._faults.config.parent_locks

    async def acquire(self, owner: object, parents: Iterable[Parent]) -> set[Parent]:
        """Take `parents` for `owner`, waiting up to `lock_wait` for those others hold; the
        parents still held by others then are returned (their records fail), the rest taken."""
        wanted = set(parents)
        deadline = time.monotonic() + self._faults.config.lock_wait / 1000
        while True:
            busy = {p for p in wanted if self._held.get(p, owner) is not owner}
            remaining = deadline - time.monotonic()
            if not busy or remaining <= 0:
                for p in wanted - busy:
                    self._held[p] = owner
                if busy:
                    self._faults.count("lock", len(busy))
                return busy
            if self._released is None:
                self._released = asyncio.Event()
            released = self._released
            try:
                await asyncio.wait_for(released.wait(), remaining)
            except TimeoutError:
                pass

    def release(self, owner: object) -> None:
        for p in [p for p, o in self._held.items() if o is owner]:
            del self._held[p]
        if self._released is not None:
            self._released.set()  # every waiter looks again
            self._released = None
