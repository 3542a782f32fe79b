"""The demo's billing database: the same rows on every machine, and changes that are exact."""

from __future__ import annotations

from pathlib import Path

from forcebridge.demo import billing


def test_seed_is_deterministic_and_rebuilt_from_scratch(tmp_path: Path) -> None:
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    counts = billing.seed(first)
    assert counts == billing.Sizes().rows
    assert 2_000 <= sum(counts.values()) <= 5_000  # "a few thousand rows"
    billing.seed(second)
    assert billing.snapshot(first) == billing.snapshot(second)
    billing.change_rows(first, 4)
    assert billing.seed(first) == counts  # seeding again forgets every change
    assert billing.snapshot(first) == billing.snapshot(second)


def test_change_rows_changes_exactly_n_rows_per_table(tmp_path: Path) -> None:
    path = tmp_path / "billing.db"
    billing.seed(path, billing.Sizes(accounts=50))
    before = billing.snapshot(path)
    changed = billing.change_rows(path, 3)
    after = billing.snapshot(path)
    for table in billing.TABLES:
        differing = [old[0] for old, new in zip(before[table], after[table], strict=True)
                     if old != new]
        assert differing == changed[table]
        assert len(differing) == 3
    other = billing.change_rows(path, 3, generation=2)
    assert other != changed  # another generation touches other rows
    assert billing.change_rows(path, 0) == {
        t: [] for t in billing.TABLES
    }


def test_every_reference_points_at_an_existing_parent(tmp_path: Path) -> None:
    """The integrations reference parents by external id, so the seed must be consistent."""
    path = tmp_path / "billing.db"
    billing.seed(path, billing.Sizes(accounts=20))
    rows = billing.snapshot(path)
    accounts = {r[0] for r in rows["accounts"]}
    contracts = {r[0] for r in rows["contracts"]}
    assert all(r[1] in accounts for r in rows["contracts"] + rows["balances"])
    assert all(r[1] in accounts and r[2] in contracts for r in rows["commitments"])
