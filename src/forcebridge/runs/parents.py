"""Which parents a chunk of records references, so concurrent writes never share one.

Salesforce locks a parent row (the Account of a Contact) while a child referencing it is
written; two writes in flight that touch children of the same parent make one of them wait and
often fail `UNABLE_TO_LOCK_ROW`. A record's parents are its references by external id (the
payload's `{"Account": {"External_Id__c": "A1"}}`), the only way forcebridge maps a parent.
The sink sorts a bulk job's records by parent, so the org's internal batches of a job hold
disjoint parents, and never has two chunks in flight that name the same parent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from forcebridge.sync.diff import Diffed

Parent = tuple[str, str, Any]  # (relationship, key field, value)

LOCK_CODE = "UNABLE_TO_LOCK_ROW"


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


def chunk_parents(records: Iterable[Diffed]) -> set[Parent]:
    return {p for r in records for p in parents_of(r.payload)}


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
