"""Which parents a chunk of records references, so concurrent writes never share one.

Salesforce locks a parent row (the Account of a Contact) while a child referencing it is
written; two writes in flight that touch children of the same parent make one of them wait and
often fail `UNABLE_TO_LOCK_ROW`. A record's parents are its references by external id (the
payload's `{"Account": {"External_Id__c": "A1"}}`), the only way forcebridge maps a parent.
The sink routes bulk records into lanes by parent (`Lanes`), so jobs cut from different lanes
share no parent and run side by side; sorts a job's records by parent and cuts it so that no
parent's children straddle two of the org's internal batches (`aligned`), so the batches of one
job, processed side by side, hold disjoint parents; and never has two jobs in flight that name
the same parent (two jobs of one lane wait for each other).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from forcebridge.sync.diff import Diffed

Parent = tuple[str, str, Any]  # (relationship, key field, value)

LOCK_CODE = "UNABLE_TO_LOCK_ROW"

# Bulk API 2.0 cuts a job's data into internal batches of this many records, processed side by
# side ("Understanding Bulk API 2.0 Ingest": a batch for every 10,000 records)
ORG_BATCH_RECORDS = 10_000


def parents_of(payload: dict[str, Any]) -> tuple[Parent, ...]:
    """The parents one payload references, in payload order."""
    return tuple(
        (name, inner, v)
        for name, value in payload.items() if isinstance(value, dict)
        for inner, v in value.items() if v is not None
    )  # fmt: skip


def by_parent(records: Sequence[Diffed]) -> tuple[list[Diffed], set[Parent]]:
    """`records` with the children of each parent next to each other (stable otherwise),
    and every parent they reference; records without parents stay as they are."""
    keyed = [(parents_of(r.payload), r) for r in records]
    parents = {p for ps, _ in keyed for p in ps}
    if not parents:
        return list(records), parents
    keyed.sort(key=lambda pr: repr(pr[0]))
    return [r for _, r in keyed], parents


def aligned(
    records: Sequence[Diffed], size: int, batch: int = ORG_BATCH_RECORDS
) -> tuple[list[Diffed], list[Diffed]]:
    """A job of at most `size` of `records`, sorted by parent, in which no parent's children
    cross a `batch` boundary, and the records left for a later job.

    Two internal batches of one job are processed at once, so a parent split across them is
    locked by one while the other waits for it, the whole of a batch's time. A parent whose
    children would cross a boundary keeps the ones before it here and leaves the rest (they
    share a parent with this job, so they wait for it); one with more children than a batch
    holds crosses boundaries whatever the order, and is kept whole."""
    ordered, _ = by_parent(records)
    job: list[Diffed] = []
    rest: list[Diffed] = []
    at, end = 0, len(ordered)
    while at < end:
        first = parents_of(ordered[at].payload)
        group_end = at + 1
        if first:
            while group_end < end and parents_of(ordered[group_end].payload)[:1] == first[:1]:
                group_end += 1
        group = ordered[at:group_end]
        at = group_end
        room = size - len(job)
        if room <= 0:
            rest.extend(group)
            continue
        if len(group) <= batch:
            room = min(room, batch - len(job) % batch)
        job.extend(group[:room])
        rest.extend(group[room:])
    return job, rest


def chunk_parents(records: Iterable[Diffed]) -> set[Parent]:
    return {p for r in records for p in parents_of(r.payload)}


class Lanes:
    """Records waiting for a bulk job, each parent's children all in one lane."""

    def __init__(self, count: int, batch: int = ORG_BATCH_RECORDS) -> None:
        self._lanes: list[list[Diffed]] = [[] for _ in range(count)]
        self.batch = batch

    def add(self, records: Iterable[Diffed]) -> list[Diffed]:
        """Route the records that reference a parent; those that do not are returned (they
        clash with nothing, so any job may carry them)."""
        lanes, count = self._lanes, len(self._lanes)
        free = []
        for r in records:
            parents = parents_of(r.payload)
            if parents:
                lanes[hash(parents[0]) % count].append(r)
            else:
                free.append(r)
        return free

    def full(self, size: int) -> list[list[Diffed]]:
        """Cut a job of `size` records (`aligned`) from every lane holding that many; what a
        cut leaves stays in its lane, first in line."""
        jobs = []
        for number, lane in enumerate(self._lanes):
            while len(lane) >= size:
                job, left = aligned(lane[:size], size, self.batch)
                jobs.append(job)
                lane = self._lanes[number] = left + lane[size:]
        return jobs

    def rest(self, size: int) -> tuple[list[list[Diffed]], list[Diffed]]:
        """Every record left: as jobs of at most `size` (`aligned`), and the few a lane's last
        job left out to keep its batches apart, to be written once the jobs are done."""
        jobs = self.full(size)
        last: list[Diffed] = []
        for number, lane in enumerate(self._lanes):
            if lane:
                job, left = aligned(lane, size, self.batch)
                jobs.append(job)
                last.extend(left)
                self._lanes[number] = []
        return jobs, last


class ParentsInFlight:
    """The parents the chunks in flight hold (a chunk holds each of its parents once)."""

    def __init__(self) -> None:
        self._held: Counter[Parent] = Counter()

    def clashes(self, parents: set[Parent]) -> bool:
        held = self._held
        return any(p in held for p in parents)

    def take(self, parents: set[Parent]) -> None:
        self._held.update(parents)

    def give_back(self, parents: set[Parent]) -> None:
        self._held.subtract(parents)
        for p in parents:
            if self._held[p] <= 0:
                del self._held[p]
