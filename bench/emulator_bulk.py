"""Benchmark: one Bulk API 2.0 upsert job end to end against the in-process emulator.

Why: the emulator must stand in for a real org in load tests, so a 1,000,000-row upsert
(10 fields) has to finish in well under a minute on 2 cores: upload, processing and reading
the result CSVs. Runs through the real app (`create_app`, `httpx.ASGITransport`), so auth,
usage counting and routing are included in the figures.

    .venv/bin/python bench/emulator_bulk.py            # 1,000,000 rows
    .venv/bin/python bench/emulator_bulk.py 100000     # any size

Prints a table and writes bench/results/emulator_bulk.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import httpx

from forcebridge_emulator import create_app

V = "/services/data/v62.0"
BASE_URL = "https://emulator.bench"
RESULTS = Path(__file__).parent / "results" / "emulator_bulk.json"
HEADER = (
    "External_Id__c,Name,Phone,Website,Industry,AnnualRevenue,NumberOfEmployees,"
    "BillingCity,BillingState,Description\n"
)


def csv_body(rows: int) -> bytes:
    """`rows` Accounts of 10 fields; the upsert key is External_Id__c."""
    lines = [HEADER]
    lines.extend(
        f"EXT-{i:07d},Account {i},555-01{i % 100:02d},https://example.com/{i},Technology,"
        f"{i % 100000}.5,{i % 5000},Paris,IDF,bulk benchmark row {i}\n"
        for i in range(rows)
    )
    return "".join(lines).encode()


async def run(rows: int) -> dict[str, Any]:
    app = create_app(base_url=BASE_URL)
    emulator = app.state.emulator
    user = emulator.org.config.users[0]
    consumer = emulator.org.config.connected_apps[0].consumer_key
    token = emulator.oauth.issue_token_for(user.username, consumer_key=consumer)
    headers = {"Authorization": f"Bearer {token}"}
    body = csv_body(rows)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers=headers, timeout=600
    ) as http:
        t0 = time.perf_counter()
        job = await http.post(
            f"{V}/jobs/ingest",
            json={"object": "Account", "operation": "upsert",
                  "externalIdFieldName": "External_Id__c", "contentType": "CSV",
                  "lineEnding": "LF"},
        )  # fmt: skip
        job.raise_for_status()
        job_id = job.json()["id"]
        put = await http.put(
            f"{V}/jobs/ingest/{job_id}/batches",
            content=body,
            headers={"Content-Type": "text/csv"},
        )
        assert put.status_code == 201, put.text
        t1 = time.perf_counter()
        close = await http.patch(f"{V}/jobs/ingest/{job_id}", json={"state": "UploadComplete"})
        close.raise_for_status()
        polls = 0
        while True:
            info = (await http.get(f"{V}/jobs/ingest/{job_id}")).json()
            polls += 1
            if info["state"] in ("JobComplete", "Failed", "Aborted"):
                break
            await asyncio.sleep(0.05)
        t2 = time.perf_counter()
        assert info["state"] == "JobComplete", info
        ok = await http.get(f"{V}/jobs/ingest/{job_id}/successfulResults")
        failed = await http.get(f"{V}/jobs/ingest/{job_id}/failedResults")
        t3 = time.perf_counter()
    success_rows = ok.content.count(b"\n") - 1
    failed_rows = failed.content.count(b"\n") - 1
    assert success_rows == rows and failed_rows == 0, (success_rows, failed_rows)
    assert emulator.org.count("Account") == rows
    upload, processing, results = t1 - t0, t2 - t1, t3 - t2
    total = t3 - t0
    return {
        "rows": rows,
        "fields": 10,
        "operation": "upsert",
        "object": "Account",
        "upload_bytes": len(body),
        "upload_s": round(upload, 3),
        "processing_s": round(processing, 3),
        "results_s": round(results, 3),
        "total_s": round(total, 3),
        "rows_per_s": round(rows / total),
        "status_polls": polls,
        "numberRecordsProcessed": info["numberRecordsProcessed"],
        "totalProcessingTime_ms": info["totalProcessingTime"],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = asyncio.run(run(args.rows))
    cols = ["rows", "upload_s", "processing_s", "results_s", "total_s", "rows_per_s"]
    print(" | ".join(f"{c:>12}" for c in cols))
    print(" | ".join(f"{result[c]:>12}" for c in cols))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
