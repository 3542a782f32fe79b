"""Benchmark: what one sObject Collections call of 200 records costs the emulator.

Why: load tests drive the engine through collections calls (200 records each); the emulator
must spend under 20 ms per call so that its own cost stays small next to the latency it
injects. Runs the real app in process (`create_app`, `httpx.ASGITransport`), so session
checks, usage counting, JSON parsing and rendering are included.

    .venv/bin/python bench/emulator_collections.py [--calls 50]

Per operation (create, update, upsert by external id) it prints median / p95 / max ms per call
and writes bench/results/emulator_collections.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from forcebridge_emulator import create_app

V = "/services/data/v62.0"
BASE_URL = "https://emulator.bench"
RESULTS = Path(__file__).parent / "results" / "emulator_collections.json"
BATCH = 200
BUDGET_MS = 20.0


def account(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "attributes": {"type": "Account"},
        "Name": f"Account {n}", "Phone": "555-0100", "Website": "https://example.com",
        "Industry": "Technology", "AnnualRevenue": 12345.5, "NumberOfEmployees": 42,
        "BillingCity": "Paris", "BillingState": "IDF", "Description": f"collections row {n}",
        **extra,
    }  # fmt: skip


async def timed(http: httpx.AsyncClient, method: str, url: str, body: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    response = await http.request(method, url, json=body)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text[:300]
    results = response.json()
    assert len(results) == BATCH and all(r["success"] for r in results), results[:2]
    return elapsed, results


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def run(calls: int) -> dict[str, Any]:
    app = create_app(base_url=BASE_URL)
    emulator = app.state.emulator
    user = emulator.org.config.users[0]
    consumer = emulator.org.config.connected_apps[0].consumer_key
    token = emulator.oauth.issue_token_for(user.username, consumer_key=consumer)
    transport = httpx.ASGITransport(app=app)
    samples: dict[str, list[float]] = {"create": [], "update": [], "upsert": []}
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for call in range(calls):
            start = call * BATCH
            records = [account(start + i) for i in range(BATCH)]
            ms, results = await timed(http, "POST", f"{V}/composite/sobjects",
                                      {"allOrNone": False, "records": records})  # fmt: skip
            samples["create"].append(ms)
            updates = [
                {"attributes": {"type": "Account"}, "id": r["id"], "Phone": "555-0199"}
                for r in results
            ]
            ms, _ = await timed(http, "PATCH", f"{V}/composite/sobjects", {"records": updates})
            samples["update"].append(ms)
            upserts = [account(start + i, External_Id__c=f"X-{start + i}") for i in range(BATCH)]
            ms, _ = await timed(
                http, "PATCH", f"{V}/composite/sobjects/Account/External_Id__c",
                {"allOrNone": False, "records": upserts},
            )  # fmt: skip
            samples["upsert"].append(ms)
    return {
        "records_per_call": BATCH,
        "calls": calls,
        "budget_ms": BUDGET_MS,
        **{op: summary(values) for op, values in samples.items()},
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = asyncio.run(run(args.calls))
    print(f"{'operation':>10} | {'median ms':>10} | {'p95 ms':>10} | {'max ms':>10}")
    for op in ("create", "update", "upsert"):
        s = result[op]
        print(f"{op:>10} | {s['median_ms']:>10} | {s['p95_ms']:>10} | {s['max_ms']:>10}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {args.out}")
    over = [op for op in ("create", "update", "upsert") if result[op]["median_ms"] > BUDGET_MS]
    if over:
        raise SystemExit(f"over the {BUDGET_MS} ms budget: {', '.join(over)}")


if __name__ == "__main__":
    main()
