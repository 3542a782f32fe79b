"""The push source: `services.pushed` stores what the product posts, `PushSource` streams it."""

from __future__ import annotations

import tracemalloc

import pytest

from forcebridge.errors import InvalidInput
from forcebridge.services import pushed
from forcebridge.sources.push import PushSource, PushSourceSpec
from forcebridge.store.integrations import Integration
from forcebridge.store.sync_state import PushedRecord
from tests.run_faces.conftest import Org, invoice_mapping, make_integration

SPEC = PushSourceSpec(key_column="number", account_column="account")


def _push(org: Org, iid: str, records: list[dict[str, object]]) -> int:
    with org.rt.db.begin() as s:
        integration = s.get(Integration, iid)
        assert integration is not None
        return pushed.push(s, integration, records)


def _remove(org: Org, iid: str, keys: list[object]) -> int:
    with org.rt.db.begin() as s:
        integration = s.get(Integration, iid)
        assert integration is not None
        return pushed.remove(s, integration, keys)


def _all(org: Org, iid: str, size: int = 1000) -> list[list[tuple[str | None, ...]]]:
    src = PushSource(org.rt.db, iid, SPEC)
    return [[(r.key, r.account_id, r.values.get("amount")) for r in b] for b in src.batches(size)]


def test_push_stores_latest_per_key_and_streams_in_key_order(org: Org) -> None:
    iid = make_integration(org)
    assert _push(org, iid, [
        {"number": "INV-2", "account": "A-1", "amount": "1"},
        {"number": "INV-1", "account": 7, "amount": "2"},
        {"number": "INV-2", "account": "A-1", "amount": "3"},  # later in the call: wins
    ]) == 2
    assert _push(org, iid, [{"number": "INV-1", "amount": "4"}, {"number": 3, "amount": "5"}]) == 2
    assert _all(org, iid) == [[("3", None, "5"), ("INV-1", None, "4"), ("INV-2", "A-1", "3")]]
    src = PushSource(org.rt.db, iid, SPEC)
    assert src.columns() is None and iid in src.description
    [batch] = list(src.batches())
    assert [r.line for r in batch] == [1, 2, 3]
    assert batch[2].values == {"number": "INV-2", "account": "A-1", "amount": "3"}
    with org.rt.db.begin() as s:
        assert pushed.count(s, iid) == 3


def test_batches_are_bounded_and_see_keys_pushed_ahead_of_the_reader(org: Org) -> None:
    iid = make_integration(org)
    other = make_integration(org, "other")
    _push(org, iid, [{"number": f"K-{i:04}"} for i in range(2500)])
    _push(org, other, [{"number": "K-0000"}])
    src = PushSource(org.rt.db, iid, SPEC)
    batches = src.batches(1000)
    first = next(batches)
    assert len(first) == 1000 and first[-1].key == "K-0999"
    _push(org, iid, [{"number": "K-9999"}, {"number": "K-0001", "amount": "late"}])
    rest = list(batches)
    assert [len(b) for b in rest] == [1000, 501]
    assert rest[-1][-1].key == "K-9999" and rest[-1][-1].line == 2501
    with pytest.raises(ValueError):
        list(src.batches(0))
    assert list(PushSource(org.rt.db, "no-such-integration", SPEC).batches()) == []


def test_memory_stays_flat_while_streaming(org: Org) -> None:
    iid = make_integration(org)
    for start in range(0, 12_000, 6_000):
        _push(org, iid, [{"number": f"K-{i:06}", "name": f"Customer number {i}", "amount": i}
                         for i in range(start, start + 6_000)])
    src = PushSource(org.rt.db, iid, SPEC)
    tracemalloc.start()
    try:
        count = sum(len(b) for b in src.batches(500))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 12_000
    assert peak < 2_500_000, peak  # all 12,000 rows as dicts would take ~6 MB


def test_push_refuses_the_whole_call_naming_the_record(org: Org) -> None:
    iid = make_integration(org)
    cases: list[tuple[list[object], str]] = [
        ([{"number": "ok"}, {"amount": 1}], "records.1.number"),
        ([{"number": "  "}], "records.0.number"),
        ([{"number": True}], "records.0.number"),
        ([{"number": {"a": 1}}], "records.0.number"),
        ([{"number": "x" * 256}], "records.0.number"),
        (["INV-1"], "records.0"),
        ([{"number": str(i)} for i in range(pushed.MAX_RECORDS + 1)], "records"),
    ]
    for records, field in cases:
        with pytest.raises(InvalidInput) as err:
            _push(org, iid, records)  # type: ignore[arg-type]
        assert err.value.details[0]["field"] == field, (field, err.value.details)
    assert _all(org, iid) == []
    assert _push(org, iid, []) == 0


def test_push_and_remove_refused_for_other_sources(org: Org, tmp_path: object) -> None:
    csv_config = {"source": {"kind": "csv", "name": "files", "path": "x.csv", "key_column": "number"},
                  "mapping": invoice_mapping()}
    iid = make_integration(org, "from csv", csv_config)
    for act in (lambda: _push(org, iid, [{"number": "1"}]), lambda: _remove(org, iid, ["1"])):
        with pytest.raises(InvalidInput) as err:
            act()
        assert err.value.details[0]["field"] == "config.source.kind"
        assert "csv source" in err.value.message


def test_remove_forgets_keys(org: Org) -> None:
    iid = make_integration(org)
    _push(org, iid, [{"number": k} for k in ("A", "B", "C", "42")])
    assert _remove(org, iid, ["A", 42, "A", "nope"]) == 2
    assert [k for [*batch] in _all(org, iid) for (k, _, _) in batch] == ["B", "C"]
    assert _remove(org, iid, ["A"]) == 0
    with pytest.raises(InvalidInput) as err:
        _remove(org, iid, ["B", None])
    assert err.value.details[0]["field"] == "keys.1"
    with org.rt.db.begin() as s:
        assert s.get(PushedRecord, (iid, "B")) is not None
