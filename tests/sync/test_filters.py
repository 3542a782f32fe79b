"""Allowed / restricted account ids: both empty means every account."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from forcebridge.sources.base import SourceRecord
from forcebridge.sync.filters import AccountFilter, AccountGate


def records(*accounts: str | None) -> list[SourceRecord]:
    return [SourceRecord(f"K-{i}", a, {}, i) for i, a in enumerate(accounts)]


def kept(f: AccountFilter, *accounts: str | None) -> list[str | None]:
    passed, dropped = f.gate().split(records(*accounts))
    assert dropped == len(accounts) - len(passed)
    return [r.account_id for r in passed]


def test_both_empty_pass_everything() -> None:
    f = AccountFilter()
    assert f.passes_all
    assert kept(f, "A", "B", None) == ["A", "B", None]


def test_allowed_only() -> None:
    f = AccountFilter(allowed_account_ids=["A", "C"])
    assert kept(f, "A", "B", "C", None) == ["A", "C"]


def test_restricted_only() -> None:
    f = AccountFilter(restricted_account_ids=["B"])
    assert kept(f, "A", "B", "C", None) == ["A", "C", None]


def test_restricted_wins_over_allowed() -> None:
    f = AccountFilter(allowed_account_ids=["A", "B"], restricted_account_ids=["B", "C"])
    assert kept(f, "A", "B", "C", "D") == ["A"]


def test_ids_are_trimmed_and_blank_entries_ignored() -> None:
    f = AccountFilter(allowed_account_ids=[" A ", "", "  "])
    assert f.allowed_account_ids == ["A"]
    assert kept(f, "A", "B") == ["A"]
    assert AccountFilter(allowed_account_ids=["", " "]).passes_all


def test_numeric_ids_match_their_text() -> None:
    gate = AccountGate(allowed=["42"])
    assert gate.admits("42") and not gate.admits("420")


def test_gate_as_iterator_filter() -> None:
    gate = AccountFilter(restricted_account_ids=["X"]).gate()
    assert [r.key for r in gate(records("X", "Y"))] == ["K-1"]


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError):
        AccountFilter.model_validate({"allowed": ["A"]})
