"""Initial sync of 1,000,000 records and a 1% re-sync, against a slow org (the API's floor).

Why: an entity sync is judged by what the API allows. With 100 ms per call and 10 calls in
flight, collections of 200 cannot move more than 200 x 10 / 0.1 = 20,000 records/s, so 1M
records take at least 50 s that way; Bulk API 2.0 takes a few job round trips plus the org's
own processing time. The emulator models that processing time (`bulk_rate=2000,
bulk_parallel=10` by default: internal batches of 10,000 records take 5 s each, ten at a time
across the org; see docs/emulator.md), so the floor of a bulk load is its round trips plus
records / (rate x parallel). The engine should come within 1.25x of that floor, keep its memory
flat (< 300 MB peak RSS whatever the size) and, on a re-sync where 1% changed, send only those
(<= ceil(changed / 200) + 5 API calls) in under 10% of the initial time (8% for the re-sync
that reads and compares every row).

Set-up, all real: the source is a generated SQLite table; the emulator runs in its own
process (`forcebridge emulator serve --latency-ms 100`) on a socket, so its memory and CPU are
not the sync's; the sync is `forcebridge.runs.run_integration` on a store in a temporary data
directory, through a password-flow connection with concurrency 10. The emulator's own counter
(`/__emulator__/stats`) gives the API calls, so they do not rely on the engine's count.

The source has an `updated_at` column the "billing application" sets on every change, and
the integration reads by it (`cursor_column`): the re-sync reads the rows changed since the
initial run. A third run then changes another 1% with the cursor column removed from the
integration, so every row is read and compared by its raw hash: that full-compare time is
reported next to it (it is not what the 10% target is judged on).

    .venv/bin/python bench/sync_initial.py                  # 1,000,000 records (minutes)
    .venv/bin/python bench/sync_initial.py --records 20000  # a quick run

Prints a table and writes bench/results/sync_initial.json (pass/fail per target).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import multiprocessing
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from forcebridge.integrations import saves as integration_saves
from forcebridge.runtime import Runtime
from forcebridge.services import (
    authorization,
    connections,
    data_sources,
    tenants,
)
from forcebridge.services.connections import ConnectionInput
from forcebridge.services.data_sources import DataSourceInput
from forcebridge.services.integrations import IntegrationInput
from forcebridge.settings import Settings
from forcebridge.store.runs import Run
from forcebridge_emulator import demo_config

RESULTS = Path(__file__).resolve().parent / "results" / "sync_initial.json"
V = "/services/data/v62.0"
RECORDS_PER_CALL = 200
FLOOR_FACTOR = 1.25
RSS_LIMIT_MB = 300
RESYNC_SHARE_LIMIT = 0.10
FULL_RESYNC_SHARE_LIMIT = 0.08
BULK_BATCH = 10_000  # Salesforce's internal batch
EXTRA_CALLS = 5
BULK_ROUND_TRIPS = 7  # create, upload, close, one status, successful/failed/unprocessed results
INTEGRATION = "bench balances"
CONNECTION = "bench org"
SOURCE = "bench billing"

MAPPING: dict[str, Any] = {
    "target": {"object": "Balance__c", "external_id_field": "External_Id__c",
               "namespace": {"kind": "managed", "prefix": "acme"}},
    "mappings": [
        {"field": "External_Id__c", "column": "id"},
        {"field": "Name", "column": "name"},
        {"field": "Amount__c", "column": "amount", "transform": {"type": "number", "scale": 2}},
        {"field": "Currency__c", "column": "currency"},
        {"field": "As_Of__c", "column": "as_of", "transform": {"type": "date"}},
        {"field": "Updated_At__c", "column": "updated_at",
         "transform": {"type": "datetime", "timezone": "Europe/London"}},
    ],
}  # fmt: skip


# --- the source ---------------------------------------------------------------------------


def _rows(n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        yield (
            f"BAL-{i:08d}", f"A-{i % 5000:05d}", f"Balance {i}", round(i * 1.0037 % 100_000, 3),
            ("USD", "EUR", "GBP")[i % 3], f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00",
        )  # fmt: skip


def generate(path: str, n: int) -> None:
    """The source table; run in a child process so its memory is not the sync's."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "CREATE TABLE balances (id TEXT PRIMARY KEY, account_id TEXT, name TEXT, "
            "amount REAL, currency TEXT, as_of TEXT, updated_at TEXT)"
        )
        conn.executemany("INSERT INTO balances VALUES (?, ?, ?, ?, ?, ?, ?)", _rows(n))
    conn.close()


def change(path: Path, share: float, offset: int, stamp: str) -> int:
    """Change `share` of the rows (every k-th by key order, from `offset`) in a mapped field,
    and set their `updated_at` to `stamp`, as the billing application would; how many."""
    step = max(1, round(1 / share))
    conn = sqlite3.connect(path)
    with conn:
        changed = conn.execute(
            "UPDATE balances SET amount = amount + 1, updated_at = ? WHERE rowid % ? = ?",
            (stamp, step, offset % step),
        ).rowcount
    conn.close()
    return int(changed)


# --- the emulator in its own process --------------------------------------------------------


@contextmanager
def emulator(
    folder: Path, latency_ms: int, faults: str | None = None, *, tls: bool = False
) -> Iterator[str]:
    """`forcebridge emulator serve` on a free port with the demo org (API allocation raised,
    so a million records never hit the daily limit) and `faults` if given; yields its base
    URL. With `tls`, it serves HTTPS with a certificate at `folder/emulator-cert.pem`."""
    config = dataclasses.replace(demo_config(), daily_api_requests=10_000_000)
    org_file = folder / "org.json"
    org_file.write_text(json.dumps(dataclasses.asdict(config)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "forcebridge", "emulator", "serve", "--port", "0",
         "--latency-ms", str(latency_ms), "--org", str(org_file),
         *(["--faults", faults] if faults else []),
         *(["--tls", "--cert-dir", str(folder)] if tls else [])],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        base = ""
        for line in proc.stdout:
            if "base URL:" in line:
                base = line.split("base URL:", 1)[1].strip()
                break
        if not base:
            raise RuntimeError(f"the emulator did not start (exit code {proc.poll()})")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def api_calls(base: str) -> int:
    """API calls the emulator has answered so far (its own counter)."""
    stats = httpx.get(f"{base}/__emulator__/stats", timeout=30).json()
    return int(stats["api_usage"]["used"])


def bulk_jobs(base: str) -> list[dict[str, Any]]:
    """Every ingest job the org ran, with its processing time (asked after the runs)."""
    user, app = demo_config().users[0], demo_config().connected_apps[0]
    token = httpx.post(f"{base}/services/oauth2/token", data={
        "grant_type": "password", "client_id": app.consumer_key,
        "client_secret": app.consumer_secret, "username": user.username,
        "password": user.password + user.security_token,
    }, timeout=30).json()["access_token"]  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        listed = http.get(f"{V}/jobs/ingest").json().get("records", [])
        return [http.get(f"{V}/jobs/ingest/{job['id']}").json() for job in listed]


# --- the sync -------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time (user + system) this process has used, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Progress:
    """Prints a line per 10% so a long run shows it is alive (the engine may not know the
    total up front: the bench does)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.next, self.t0 = label, total, 0.1, time.perf_counter()

    def started(self, total: int | None) -> None:
        self.total = total or self.total

    def advance(self, read: int, counts: dict[str, int]) -> None:
        if self.total and read / self.total >= self.next:
            self.next += 0.1
            print(f"  {self.label}: {read:,}/{self.total:,} read "
                  f"({time.perf_counter() - self.t0:.1f} s, peak RSS {peak_rss_mb():.0f} MB)",
                  flush=True)  # fmt: skip


def source_config(cursor: bool) -> dict[str, Any]:
    """The integration's config, reading the data source SOURCE granted in `setup`."""
    source = {"kind": "sql", "name": SOURCE, "table": "balances", "key_column": "id",
              "account_column": "account_id"}
    if cursor:
        source["cursor_column"] = "updated_at"
    return {"source": source, "mapping": MAPPING}


def reconfigure(rt: Runtime, tenant_id: str, cursor: bool) -> None:
    """The same integration with or without the cursor column (the mapping is unchanged, so
    the raw-row hashes of the sync state stay valid)."""
    data = IntegrationInput(name=INTEGRATION, kind="entity_sync", connection=CONNECTION,
                            config=source_config(cursor), schedule="")
    asyncio.run(integration_saves.save(rt, tenant_id, data, ref=INTEGRATION, actor="bench"))


def setup(rt: Runtime, base: str, source_url: str, concurrency: int) -> str:
    """Tenant, connection (password flow, `concurrency`) and the integration; the tenant id."""
    org = demo_config()
    user, app = org.users[0], org.connected_apps[0]
    with rt.db.begin() as s:
        tenant_id = tenants.create(s, "bench", actor="bench").id
        connections.create(s, rt.vault, tenant_id, ConnectionInput(
            name=CONNECTION, environment="custom", login_url=base, auth_flow="password",
            consumer_key=app.consumer_key, consumer_secret=app.consumer_secret,
            username=user.username, password=user.password,
            security_token=user.security_token, concurrency=concurrency,
        ), actor="bench")  # fmt: skip
        data_sources.create(rt, s, DataSourceInput(name=SOURCE, kind="sql",
                                                   url=SecretStr(source_url)), actor="bench")
        data_sources.grant(rt, s, SOURCE, tenant_id, actor="bench")
    asyncio.run(authorization.authorize(rt, tenant_id, CONNECTION))
    data = IntegrationInput(name=INTEGRATION, kind="entity_sync", connection=CONNECTION,
                            config=source_config(cursor=True), schedule="")
    asyncio.run(integration_saves.save(rt, tenant_id, data, actor="bench"))
    return tenant_id


def timed_run(rt: Runtime, tenant_id: str, base: str, label: str, total: int,
              **options: Any) -> dict[str, Any]:
    """One run (`options` for `run_integration`, e.g. reconcile=True), timed and counted."""
    from forcebridge.runs import run_integration

    calls_before = api_calls(base)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    run_id = asyncio.run(run_integration(rt, tenant_id, INTEGRATION,
                                         progress=Progress(label, total), **options))
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    calls = api_calls(base) - calls_before
    with rt.db.begin() as s:
        run = s.get(Run, run_id)
        assert run is not None
        counts = {k: getattr(run, k) for k in
                  ("status", "read", "created", "updated", "unchanged", "failed", "api_calls",
                   "error", "reconciliation")}  # fmt: skip
    if counts["reconciliation"] is None:
        counts.pop("reconciliation")
    # cpu_s close to wall_s means the sync process itself (not the API) set the pace
    engine_calls = counts.pop("api_calls")
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "api_calls": calls,
            "engine_api_calls": engine_calls, "peak_rss_mb": round(peak_rss_mb(), 1), **counts}


def floors(n: int, latency: float, concurrency: int, jobs: list[dict[str, Any]],
           initial_calls: int, bulk_rate: int = 0, bulk_parallel: int = 1) -> dict[str, Any]:
    """What the API allows at best for the path the initial run took.

    Collections: every call carries 200 records, `concurrency` calls in flight.
    Bulk: one job's chain of round trips that cannot be skipped (create, upload, close, one
    status poll, the three result files) plus the org's processing time: with the emulator's
    processing model on, the records at `bulk_rate` a batch, `bulk_parallel` batches at a
    time (never less than one batch's time); with it off, the emulator's own processing time
    of all jobs (it processes them one at a time on one CPU, so their times add up); extra status
    polls are not floor, they are the price of the client's poll interval. A run that sent
    its first records through collections and the rest through bulk may overlap the two, so
    its floor is the larger of the two parts.
    """
    collections_floor = math.ceil(n / RECORDS_PER_CALL) / concurrency * latency
    if not jobs:
        return {"path": "collections", "floor_s": round(collections_floor, 2),
                "collections_floor_s": round(collections_floor, 2), "bulk_jobs": 0,
                "initial_api_calls": initial_calls}  # fmt: skip
    in_bulk = sum(int(j.get("numberRecordsProcessed") or 0) for j in jobs)
    if bulk_rate:
        processing = max(in_bulk / (bulk_rate * bulk_parallel),
                         min(in_bulk, BULK_BATCH) / bulk_rate)
    else:
        processing = sum(int(j.get("totalProcessingTime") or 0) for j in jobs) / 1000
    collections_part = math.ceil((n - in_bulk) / RECORDS_PER_CALL) / concurrency * latency
    bulk_part = BULK_ROUND_TRIPS * latency + processing
    return {
        "path": "bulk" if in_bulk == n else "collections then bulk",
        "floor_s": round(max(collections_part, bulk_part), 2),
        "collections_floor_s": round(collections_floor, 2),
        "bulk_jobs": len(jobs),
        "records_in_bulk": in_bulk,
        "collections_part_floor_s": round(collections_part, 2),
        "bulk_part_floor_s": round(bulk_part, 2),
        "bulk_org_processing_s": round(processing, 2),
        "initial_api_calls": initial_calls,
    }


@contextmanager
def store_url(server: str | None, folder: Path) -> Iterator[str]:
    """The forcebridge store: a SQLite file (default) or a fresh database on a PostgreSQL
    server (`--postgres URL`), dropped afterwards."""
    if not server:
        yield f"sqlite:///{folder / 'store.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"fb_bench_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(
    records: int, latency_ms: int, concurrency: int, share: float, postgres: str | None = None,
    bulk_rate: int = 0, bulk_parallel: int = 10,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fb-bench-sync-") as tmp:
        folder = Path(tmp)
        source = folder / "source.db"
        t0 = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=generate, args=(str(source), records)
        )
        child.start()
        child.join()
        print(f"source: {records:,} rows generated in {time.perf_counter() - t0:.1f} s",
              flush=True)  # fmt: skip
        faults = f"bulk_rate={bulk_rate},bulk_parallel={bulk_parallel}" if bulk_rate else None
        with emulator(folder, latency_ms, faults) as base, store_url(postgres, folder) as store:
            rt = Runtime(Settings(data_dir=folder / "store", database_url=store,
                                  log_level="WARNING"))  # fmt: skip
            rt.migrate()
            source_url = f"sqlite:///{source}"
            tenant_id = setup(rt, base, source_url, concurrency)
            baseline_rss = peak_rss_mb()
            initial = timed_run(rt, tenant_id, base, "initial", records)
            jobs = bulk_jobs(base)  # before the re-syncs: only the initial run's jobs
            # a re-sync after a failed initial run would measure a second initial sync
            resync = full = None
            changed = 0
            if initial["status"] == "succeeded":
                changed = change(source, share, 0, "2025-01-01 00:00:00")
                resync = timed_run(rt, tenant_id, base, "re-sync", records)
                reconfigure(rt, tenant_id, cursor=False)
                if change(source, share, 1, "2025-02-01 00:00:00") != changed:
                    raise RuntimeError("the second change touched another number of rows")
                full = timed_run(rt, tenant_id, base, "full", records)
            rt.close()
    return report(records, latency_ms, concurrency, changed, initial, resync, full, jobs,
                  baseline_rss, "postgresql" if postgres else "sqlite", bulk_rate, bulk_parallel)


def report(
    records: int, latency_ms: int, concurrency: int, changed: int, initial: dict[str, Any],
    resync: dict[str, Any] | None, full: dict[str, Any] | None, jobs: list[dict[str, Any]],
    baseline_rss: float, store: str, bulk_rate: int = 0, bulk_parallel: int = 10,
) -> dict[str, Any]:
    """Targets judged honestly: a run that did not succeed fails every target it feeds.

    The re-sync targets are judged on the run that reads by the cursor column; the
    full-compare re-sync (every row read and compared by its raw hash) is reported next to
    it, with its share of the initial time, and must send the same records."""
    latency = latency_ms / 1000
    ok = initial["status"] == "succeeded"
    missing = {"status": "not run", "wall_s": None, "api_calls": -1, "created": 0,
               "updated": 0, "unchanged": 0, "failed": 0, "peak_rss_mb": 0.0,
               "error": "the initial sync did not succeed"}  # fmt: skip
    resync = resync or missing
    full = full or missing
    resync_ok = resync["status"] == "succeeded" and full["status"] == "succeeded"
    floor = floors(records, latency, concurrency, jobs, initial["api_calls"], bulk_rate,
                   bulk_parallel)
    floor_s = floor["floor_s"]
    allowed_calls = math.ceil(changed / RECORDS_PER_CALL) + EXTRA_CALLS
    peak = max(initial["peak_rss_mb"], resync["peak_rss_mb"], full["peak_rss_mb"])
    targets = {
        "initial_within_1_25x_floor": {
            "value_s": initial["wall_s"], "limit_s": round(FLOOR_FACTOR * floor_s, 2),
            "ratio_to_floor": round(initial["wall_s"] / floor_s, 2) if floor_s else None,
            "ratio_to_collections_floor": round(
                initial["wall_s"] / floor["collections_floor_s"], 2),
            "pass": ok and initial["wall_s"] <= FLOOR_FACTOR * floor_s,
        },
        "peak_rss_under_300_mb": {
            "value_mb": peak, "limit_mb": RSS_LIMIT_MB, "pass": peak < RSS_LIMIT_MB,
        },
        "resync_api_calls": {
            "value": max(resync["api_calls"], full["api_calls"]), "limit": allowed_calls,
            "pass": resync_ok and max(resync["api_calls"], full["api_calls"]) <= allowed_calls,
        },
        "resync_under_10_percent_of_initial": {
            "value_s": resync["wall_s"],
            "limit_s": round(RESYNC_SHARE_LIMIT * initial["wall_s"], 2),
            "share": round(resync["wall_s"] / initial["wall_s"], 3) if resync_ok else None,
            "pass": ok and resync_ok
            and resync["wall_s"] < RESYNC_SHARE_LIMIT * initial["wall_s"],
        },
        "full_compare_resync_under_8_percent_of_initial": {
            "value_s": full["wall_s"],
            "limit_s": round(FULL_RESYNC_SHARE_LIMIT * initial["wall_s"], 2),
            "pass": ok and resync_ok
            and full["wall_s"] <= FULL_RESYNC_SHARE_LIMIT * initial["wall_s"],
        },
        "every_record_written": {
            "value": initial["created"] + initial["updated"], "expected": records,
            "resync_updated": resync["updated"], "full_updated": full["updated"],
            "changed": changed,
            "pass": initial["created"] + initial["updated"] == records
            and resync["updated"] == changed and full["updated"] == changed
            and not (initial["failed"] or resync["failed"] or full["failed"]),
        },
    }  # fmt: skip
    full_share = round(full["wall_s"] / initial["wall_s"], 3) if resync_ok else None
    return {
        "benchmark": "sync_initial",
        "records": records,
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "changed": changed,
        "source": "SQLite table, 7 columns; 6 fields mapped (number, date, datetime, namespace)",
        "emulator": "separate process, socket, h11",
        "bulk_model": (f"bulk_rate={bulk_rate},bulk_parallel={bulk_parallel}" if bulk_rate
                       else "off"),
        "store": store,
        "baseline_rss_mb": round(baseline_rss, 1),
        "initial": initial,
        "resync": resync,
        "full_compare_resync": {**full, "share_of_initial": full_share},
        "floor": floor,
        "targets": targets,
        "all_pass": all(t["pass"] for t in targets.values()),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def table(r: dict[str, Any]) -> str:
    i, s, c, f = r["initial"], r["resync"], r["full_compare_resync"], r["floor"]
    lines = [
        f"sync: {r['records']:,} records, emulator latency {r['latency_ms']} ms, "
        f"concurrency {r['concurrency']}, path {f['path']}",
        f"{'run':<8} {'status':<10} {'wall s':>8} {'API calls':>9} {'created':>9} "
        f"{'updated':>9} {'unchanged':>9} {'failed':>7} {'peak RSS MB':>11} {'CPU s':>7}",
    ]
    for label, x in (("initial", i), ("re-sync", s), ("full", c)):
        if x["status"] != "succeeded":
            lines.append(f"{label:<8} {x['status']:<10} {x.get('error') or ''}"[:300])
            continue
        lines.append(
            f"{label:<8} {x['status']:<10} {x['wall_s']:>8.2f} {x['api_calls']:>9} "
            f"{x['created']:>9} {x['updated']:>9} {x['unchanged']:>9} {x['failed']:>7} "
            f"{x['peak_rss_mb']:>11.0f} {x.get('cpu_s', 0):>7.1f}"
        )
    bulk = (
        f"{f['records_in_bulk']:,} records in {f['bulk_jobs']} bulk jobs: "
        f"{f['bulk_part_floor_s']} s ({BULK_ROUND_TRIPS} round trips + org processing "
        f"{f['bulk_org_processing_s']} s), the rest by collections {f['collections_part_floor_s']} s"
        if f["bulk_jobs"] else "bulk not used"
    )
    lines.append(f"floor: collections {f['collections_floor_s']} s; {bulk}; "
                 f"path taken: {f['path']}, floor {f['floor_s']} s")
    if c.get("share_of_initial") is not None:
        lines.append(f"re-sync reads by the cursor column (rows updated since the last run); "
                     f"full: the same change with every row read and compared, "
                     f"{c['share_of_initial']:.1%} of the initial time")
    lines.append(f"{'target':<36} {'value':>10} {'limit':>10} result")
    for name, t in r["targets"].items():
        value = next(v for k, v in t.items() if k.startswith("value"))
        limit = next((v for k, v in t.items() if k.startswith(("limit", "expected"))), "")
        lines.append(f"{name:<36} {value!s:>10} {limit!s:>10} {'pass' if t['pass'] else 'FAIL'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--changed", type=float, default=0.01, help="share changed for re-sync")
    parser.add_argument("--bulk-rate", type=int, default=2000,
                        help="the emulator's Bulk API processing model: records/s per internal "
                        "batch (0: off, jobs process as fast as the emulator can)")
    parser.add_argument("--bulk-parallel", type=int, default=10,
                        help="internal batches the emulated org processes at once")
    parser.add_argument("--postgres", metavar="URL", default=None,
                        help="keep the store in a fresh database on this PostgreSQL server "
                        "(default: SQLite in the temporary directory)")
    parser.add_argument("--results", type=Path, default=None,
                        help="where to write the JSON (default: results/sync_initial.json for "
                        "the default run, results/sync_initial_<N>.json otherwise)")
    args = parser.parse_args()
    if args.results is None:
        default_run = args.records == 1_000_000 and args.postgres is None
        args.results = RESULTS if default_run else RESULTS.with_name(
            f"sync_initial_{args.records}{'_postgres' if args.postgres else ''}.json"
        )
    result = run(args.records, args.latency_ms, args.concurrency, args.changed, args.postgres,
                 args.bulk_rate, args.bulk_parallel)
    print(table(result))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"written to {args.results}")
    # the engine may leave a source-reading thread behind after a failed run: do not wait
    sys.stdout.flush()
    os._exit(0 if result["all_pass"] else 1)


if __name__ == "__main__":
    main()
