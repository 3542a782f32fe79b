"""Records per second through the CPU half of an entity sync: source -> filter -> map -> hash.

No Salesforce I/O: this measures what forcebridge itself spends per record before the API
calls, which must stay well above 50,000 records/s so the API (≤200 records a call) is always
the bottleneck. 200k generated rows are read from a temporary SQLite table, CSV file and JSONL
file, filtered by account, mapped through eight fields (text with length, number with scale,
boolean, date, datetime from Europe/Berlin, picklist value map, parent reference by external
id, managed-package namespace) and hashed against (1) an empty state, every record new, and
(2) the state the first pass would have stored, every record unchanged.

    .venv/bin/python bench/sync_cpu.py [--rows 200000] [--batch 1000]

Prints a table and writes bench/results/sync_cpu.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import SecretStr

from forcebridge.sources import (
    CsvSource,
    CsvSourceSpec,
    JsonlSource,
    JsonlSourceSpec,
    Source,
    SqlDatabase,
    SqlSource,
    SqlSourceSpec,
)
from forcebridge.sync import AccountFilter, DictState, Differ, SyncedState, compile_mapping
from forcebridge.sync.mapping import MappingSpec
from forcebridge.sync.prepare import prepare_all

RESULTS = Path(__file__).resolve().parent / "results" / "sync_cpu.json"
TARGET = 50_000
COLUMNS = ["id", "account", "name", "balance", "active", "opened", "updated", "tier"]

SPEC = MappingSpec.model_validate({
    "target": {"object": "Balance__c", "external_id_field": "External_Id__c",
               "namespace": {"kind": "managed", "prefix": "acme"}},
    "mappings": [
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "name", "transform": {"type": "text", "max_length": 80}},
        {"field": "Amount__c", "column": "balance", "transform": {"type": "number", "scale": 2}},
        {"field": "Active__c", "column": "active", "transform": {"type": "boolean"}},
        {"field": "Opened__c", "column": "opened", "transform": {"type": "date"}},
        {"field": "Updated__c", "column": "updated",
         "transform": {"type": "datetime", "timezone": "Europe/Berlin"}},
        {"field": "Tier__c", "column": "tier",
         "transform": {"type": "value_map", "values": {"g": "Gold", "s": "Silver", "b": "Bronze"}}},
        {"field": "Account__c", "column": "account",
         "transform": {"type": "reference", "external_id_field": "External_Id__c"}},
    ],
})


def rows(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {
            "id": f"B-{i:07d}", "account": f"A-{i % 500}", "name": f"Customer {i}",
            "balance": f"{i * 1.005:.3f}", "active": "yes" if i % 3 else "no",
            "opened": f"20{10 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "updated": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00",
            "tier": "gsb"[i % 3],
        }


def make_sources(folder: Path, n: int) -> dict[str, Source]:
    with open(folder / "rows.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(n))
    with open(folder / "rows.jsonl", "wb") as jf:
        jf.writelines(orjson.dumps(r) + b"\n" for r in rows(n))
    url = f"sqlite:///{folder / 'rows.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE balances ({', '.join(c + ' TEXT' for c in COLUMNS)})"))
        conn.execute(sa.text(f"INSERT INTO balances VALUES ({', '.join(':' + c for c in COLUMNS)})"),
                     list(rows(n)))
    engine.dispose()
    keys = {"key_column": "id", "account_column": "account"}
    return {
        "sqlite": SqlSource(
            SqlSourceSpec.model_validate({"name": "rows", "table": "balances", **keys}),
            SqlDatabase("rows", SecretStr(url))),
        "csv": CsvSource(CsvSourceSpec(name="rows", path="rows.csv", **keys), folder / "rows.csv"),
        "jsonl": JsonlSource(JsonlSourceSpec(name="rows", path="rows.jsonl", **keys),
                             folder / "rows.jsonl"),
    }


def read_only(source: Source, batch: int) -> tuple[int, float]:
    start = time.perf_counter()
    count = sum(len(b) for b in source.batches(batch))
    return count, time.perf_counter() - start


def pipeline(
    source: Source, batch: int, state: dict[str, SyncedState], confirmed: dict[str, SyncedState]
) -> dict[str, Any]:
    """One pass; `confirmed` receives what the runner would store after Salesforce accepted."""
    gate = AccountFilter(restricted_account_ids=["A-7", "A-8"]).gate()
    mapper = compile_mapping(SPEC)
    differ = Differ(DictState(state), scope=mapper.scope)
    counts = {"new": 0, "changed": 0, "unchanged": 0, "errors": 0, "filtered": 0}
    start = time.perf_counter()
    for prepared in prepare_all(source.batches(batch), gate, mapper, differ):
        counts["new"] += len(prepared.new)
        counts["changed"] += len(prepared.changed)
        counts["unchanged"] += len(prepared.unchanged)
        counts["errors"] += len(prepared.errors)
        counts["filtered"] += prepared.filtered
        for d in prepared.to_send:
            confirmed[d.key] = SyncedState(d.hash)
    return {"seconds": time.perf_counter() - start, **counts}


def table(report: dict[str, Any]) -> str:
    lines = [f"{'source':<8} {'pass':<10} {'records':>8} {'seconds':>8} {'records/s':>10} "
             f"{'new':>7} {'unch.':>7} {'errors':>6} {'filtered':>8}"]
    for r in report["results"]:
        lines.append(
            f"{r['source']:<8} {r['pass']:<10} {r['records']:>8} {r['seconds']:>8.2f} "
            f"{r['records_per_second']:>10,.0f} {r['new']:>7} {r['unchanged']:>7} "
            f"{r['errors']:>6} {r['filtered']:>8}")
    lines.append(f"slowest full pass: {report['slowest_records_per_second']:,.0f} records/s "
                 f"(target {TARGET:,})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = make_sources(Path(tmp), args.rows)
        for name, source in sources.items():
            count, seconds = read_only(source, args.batch)
            results.append({"source": name, "pass": "read only", "records": count,
                            "seconds": round(seconds, 3), "new": 0, "changed": 0,
                            "unchanged": 0, "errors": 0, "filtered": 0,
                            "records_per_second": round(count / seconds)})
            stored: dict[str, SyncedState] = {}
            for label, state in (("first", {}), ("unchanged", stored)):
                r = pipeline(source, args.batch, state, stored)
                results.append({"source": name, "pass": label, "records": args.rows,
                                **r, "seconds": round(r["seconds"], 3),
                                "records_per_second": round(args.rows / r["seconds"])})
    full = [r for r in results if r["pass"] != "read only"]
    report = {
        "benchmark": "sync_cpu",
        "rows": args.rows,
        "batch_size": args.batch,
        "fields_mapped": len(SPEC.mappings),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "target_records_per_second": TARGET,
        "slowest_records_per_second": min(r["records_per_second"] for r in full),
        "results": results,
    }
    print(table(report))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
