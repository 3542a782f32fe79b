"""Reconciling 1,000,000 records against a slow org, next to their initial sync in one run.

Why: reconciliation reads back what the integration owns and repairs the difference, so its
cost should be bounded by one read of the org, not by one call per record: target API calls
<= the initial sync's, wall time <= 0.5x the initial sync's (issue: "the org is the truth").

Set-up as bench/sync_initial.py (its helpers are used as they are): a generated SQLite source,
the emulator in its own process (`--latency-ms 100`) on a socket, the engine on a store in a
temporary directory, concurrency 10. After the initial sync, the org loses 1% of the records
(a Bulk API delete job) and 1% get a mapped field changed in Salesforce (a Bulk update job),
through the emulator's API, as users would; those calls are not counted. Then one
`run_integration(reconcile=True)`: it must find exactly those as `missing` and `drifted`,
and the org must hold every record again with the source's values.

    .venv/bin/python bench/reconcile.py                   # 1,000,000 records (minutes)
    .venv/bin/python bench/reconcile.py --records 100000  # a quicker run

Prints a table and writes bench/results/reconcile.json (pass/fail per target).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from forcebridge.salesforce import Credentials, SalesforceClient
from forcebridge.salesforce.bulk import csv_chunks
from forcebridge_emulator._orgfile import demo_config
from sync_initial import (
    Runtime,
    Settings,
    api_calls,
    emulator,
    generate,
    peak_rss_mb,
    setup,
    timed_run,
)

RESULTS = Path(__file__).resolve().parent / "results" / "reconcile.json"
SHARE = 0.01
WALL_SHARE_LIMIT = 0.5
OBJECT, EXTERNAL_ID, DRIFTED_FIELD = "acme__Balance__c", "acme__External_Id__c", "acme__Amount__c"


def _client(base: str) -> SalesforceClient:
    org = demo_config()
    user, app = org.users[0], org.connected_apps[0]
    return SalesforceClient(Credentials(
        flow="password", login_url=base, consumer_key=app.consumer_key,
        consumer_secret=app.consumer_secret, username=user.username, password=user.password,
        security_token=user.security_token))


async def damage(base: str, share: float) -> tuple[int, int]:
    """Delete every k-th record of the org and change a mapped field of every k-th other one
    (k = 1 / share), through Bulk API 2.0 jobs; (deleted, changed)."""
    step = round(1 / share)
    gone: list[dict[str, Any]] = []
    edited: list[dict[str, Any]] = []
    async with _client(base) as client:
        soql = f"SELECT Id, {EXTERNAL_ID} FROM {OBJECT}"
        async for row in client.query_bulk(soql):
            n = int(row[EXTERNAL_ID].rsplit("-", 1)[1])
            if n % step == 0:
                gone.append({"Id": row["Id"]})
            elif n % step == step // 2:
                edited.append({"Id": row["Id"], DRIFTED_FIELD: "-1"})
        for operation, rows, columns in (("delete", gone, ["Id"]),
                                         ("update", edited, ["Id", DRIFTED_FIELD])):
            job = await client.bulk_ingest(OBJECT, operation, csv_chunks(columns, rows),  # type: ignore[arg-type]
                                           poll_interval=0.3)
            if job.records_failed or job.state != "JobComplete":
                raise RuntimeError(f"{operation} job ended {job.state}, "
                                   f"{job.records_failed} failed")
    return len(gone), len(edited)


async def org_check(base: str) -> tuple[int, int]:
    """(records in the org, records whose drifted field still holds the damage)."""
    async with _client(base) as client:
        total = await client.count(f"SELECT COUNT() FROM {OBJECT}")
        left = await client.count(
            f"SELECT COUNT() FROM {OBJECT} WHERE {DRIFTED_FIELD} = -1")
    return total, left


def run(records: int, latency_ms: int, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fb-bench-reconcile-") as tmp:
        folder = Path(tmp)
        source = folder / "source.db"
        child = multiprocessing.get_context("spawn").Process(
            target=generate, args=(str(source), records))
        child.start()
        child.join()
        with emulator(folder, latency_ms) as base:
            rt = Runtime(Settings(data_dir=folder / "store",
                                  database_url=f"sqlite:///{folder / 'store.db'}",
                                  log_level="WARNING"))
            rt.migrate()
            tenant_id = setup(rt, base, f"sqlite:///{source}", concurrency)
            initial = timed_run(rt, tenant_id, base, "initial", records)
            deleted = changed = 0
            reconciled: dict[str, Any] = {"status": "not run", "error": "initial sync failed"}
            in_org = left = -1
            if initial["status"] == "succeeded":
                before = api_calls(base)
                deleted, changed = asyncio.run(damage(base, SHARE))
                print(f"org damaged: {deleted:,} deleted, {changed:,} changed "
                      f"({api_calls(base) - before} calls, not counted)", flush=True)
                reconciled = timed_run(rt, tenant_id, base, "reconcile", records, reconcile=True)
                in_org, left = asyncio.run(org_check(base))
            rt.close()
    return report(records, latency_ms, concurrency, initial, reconciled, deleted, changed,
                  in_org, left)


def report(records: int, latency_ms: int, concurrency: int, initial: dict[str, Any],
           reconciled: dict[str, Any], deleted: int, changed: int, in_org: int, left: int,
           ) -> dict[str, Any]:
    ok = initial["status"] == "succeeded" and reconciled["status"] == "succeeded"
    found = reconciled.get("reconciliation") or {}
    targets = {
        "api_calls_at_most_initial": {
            "value": reconciled.get("api_calls"), "limit": initial.get("api_calls"),
            "pass": ok and reconciled["api_calls"] <= initial["api_calls"],
        },
        "wall_at_most_half_initial": {
            "value_s": reconciled.get("wall_s"),
            "limit_s": round(WALL_SHARE_LIMIT * initial["wall_s"], 2),
            "share": round(reconciled["wall_s"] / initial["wall_s"], 3) if ok else None,
            "pass": ok and reconciled["wall_s"] <= WALL_SHARE_LIMIT * initial["wall_s"],
        },
        "found_and_repaired": {
            "missing": found.get("missing"), "deleted": deleted,
            "drifted": found.get("drifted"), "changed": changed,
            "org_records_after": in_org, "damaged_left": left,
            "pass": ok and found.get("missing") == deleted and found.get("drifted") == changed
            and in_org == records and left == 0,
        },
    }
    return {
        "benchmark": "reconcile", "records": records, "latency_ms": latency_ms,
        "concurrency": concurrency, "share_damaged": SHARE,
        "emulator": "separate process, socket, h11", "store": "sqlite",
        "initial": initial, "reconcile": reconciled, "targets": targets,
        "all_pass": all(t["pass"] for t in targets.values()),
        "python": platform.python_version(), "cpus": os.cpu_count(),
    }


def table(r: dict[str, Any]) -> str:
    lines = [f"reconcile: {r['records']:,} records, {r['share_damaged']:.0%} deleted and "
             f"{r['share_damaged']:.0%} changed in the org, latency {r['latency_ms']} ms",
             f"{'run':<10} {'status':<10} {'wall s':>8} {'API calls':>9} {'created':>9} "
             f"{'updated':>9} {'peak RSS MB':>11}"]
    for label in ("initial", "reconcile"):
        x = r[label]
        if x["status"] != "succeeded":
            lines.append(f"{label:<10} {x['status']:<10} {x.get('error') or ''}"[:200])
            continue
        lines.append(f"{label:<10} {x['status']:<10} {x['wall_s']:>8.2f} {x['api_calls']:>9} "
                     f"{x['created']:>9} {x['updated']:>9} {x['peak_rss_mb']:>11.0f}")
    found = r["reconcile"].get("reconciliation") or {}
    if found:
        lines.append("found: " + ", ".join(f"{k} {v:,}" for k, v in found.items()
                                           if isinstance(v, int)) + f" (read by {found['read_with']})")
    for name, t in r["targets"].items():
        shown = {k: v for k, v in t.items() if k != "pass"}
        lines.append(f"{'PASS' if t['pass'] else 'FAIL'}  {name}: {shown}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    t0, load_start = time.perf_counter(), os.getloadavg()
    result = run(args.records, args.latency_ms, args.concurrency)
    result["bench_seconds"] = round(time.perf_counter() - t0, 1)
    # the machine is shared: what else ran says how far the figures can be trusted
    result["load_average"] = {"start": [round(x, 2) for x in load_start],
                              "end": [round(x, 2) for x in os.getloadavg()]}
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(table(result))
    print(f"load average at start / end: {result['load_average']['start'][0]} / "
          f"{result['load_average']['end'][0]}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"written: {RESULTS}")
    sys.exit(0 if result["all_pass"] else 1)


if __name__ == "__main__":
    main()
