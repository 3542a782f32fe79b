"""The sync-state table as a run reads it: raw hashes per batch (range or IN list), refreshes."""

from __future__ import annotations

import random

from forcebridge.runs import state
from forcebridge.runs.state import Confirmed, StoredState
from forcebridge.runtime import Runtime
from forcebridge.services import tenants
from forcebridge.store.integrations import Integration

ORG = "00D5g0000000001AAA"


def integration(rt: Runtime, name: str = "balances") -> str:
    with rt.db.begin() as s:
        tenant = tenants.create(s, f"t-{name}")
        row = Integration(tenant_id=tenant.id, name=name, kind="entity_sync", config={})
        s.add(row)
        s.flush()
        return row.id


def confirm(rt: Runtime, iid: str, keys: list[str], raw: str | None = "r") -> None:
    with rt.db.begin() as s:
        state.save(s, iid, ORG, [Confirmed(k, f"h-{k}", f"a00{k}", raw and f"{raw}-{k}") for k in keys])


def matches(looked: StoredState, pairs: dict[str, str]) -> tuple[set[str], bool]:
    """The asked hashes the store holds (what the differ makes of `raw_hashes`)."""
    found = looked.raw_hashes(list(pairs))
    return {h for h in pairs.values() if h in found.hashes}, found.any_stored


def test_raw_hashes_answer_the_same_for_sorted_unsorted_and_sparse_keys(
    runtime: Runtime,
) -> None:
    iid, other = integration(runtime), integration(runtime, "other")
    stored = [f"K-{i:05d}" for i in range(0, 3000)]
    confirm(runtime, iid, stored)
    confirm(runtime, other, stored, raw="other")  # another integration's rows never leak in
    looked = StoredState(runtime.db, iid, ORG)
    # ascending keys: half unchanged, half changed, one never synced
    batch = {k: f"r-{k}" if i % 2 else f"changed-{k}"
             for i, k in enumerate(f"K-{i:05d}" for i in range(1000, 1500))}
    batch["K-99999"] = "r-K-99999"
    expected = {h for k, h in batch.items() if h.startswith("r-") and k != "K-99999"}
    assert matches(looked, batch) == (expected, True)
    items = list(batch.items())
    random.Random(7).shuffle(items)
    assert matches(looked, dict(items)) == (expected, True)
    # ascending but sparse: the range holds ~30x more rows than asked, the IN list answers
    sparse = {f"K-{i:05d}": f"r-K-{i:05d}" for i in range(0, 3000, 30)}
    assert matches(looked, sparse) == (set(sparse.values()), True)
    # more keys than one query takes
    every = {k: f"r-{k}" for k in stored}
    assert matches(looked, every) == (set(every.values()), True)
    assert matches(looked, {"Z-1": "r-Z-1", "Z-2": "x"}) == (set(), False)
    assert matches(looked, {}) == (set(), False)


def test_a_key_confirmed_without_raw_hash_is_stored_but_never_matches(runtime: Runtime) -> None:
    iid = integration(runtime)
    confirm(runtime, iid, ["A", "B"], raw=None)
    assert matches(StoredState(runtime.db, iid, ORG), {"A": "x", "C": "y"}) == (set(), True)


def test_refresh_replaces_only_the_raw_hash(runtime: Runtime) -> None:
    iid = integration(runtime)
    confirm(runtime, iid, ["A", "B"])
    with runtime.db.begin() as s:
        state.refresh(s, iid, ORG, [("A", "new-A")])
    looked = StoredState(runtime.db, iid, ORG)
    assert matches(looked, {"A": "new-A", "B": "r-B"}) == ({"new-A", "r-B"}, True)
    a = looked.lookup(["A"])["A"]
    assert (a.hash, a.salesforce_id, a.raw_hash) == ("h-A", "a00A", "new-A")
