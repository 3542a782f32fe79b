"""Scaled out: records/s with 1, 2 and 4 `forcebridge worker` processes, and each
connection's peak calls in flight, which must never pass its concurrency level.

Why: more workers should add throughput until the connections' concurrency is the limit, and
each connection's limit must hold across every process (a lease per call in Redis). A run
alone can fill its connection's slots, so the integrations spread over `--connections`
connections, each with a connected app of its own (the emulator counts calls in flight per
app): their concurrency together is more than one worker uses. Set-up per worker count, side
by side in one run: a fresh PostgreSQL database, `forcebridge-emulator serve` in its own
process with `--latency-ms`, a Redis of its own (`redis-server`, no persistence), the
connections at `--concurrency`, `--integrations` entity syncs of `--records` CSV rows each,
due at once; N workers (`forcebridge worker -c 4`, as the Procfile starts them) and one
`forcebridge scheduler` as subprocesses. Wall time is from the first run's start to the last
run's end (the workers are up before the integrations exist); `max_in_flight` is the
emulator's own count, the highest of any connection's app; `together` is the most calls in
flight on all of them at once, sampled every 0.5 s.

The issue's size is 20 integrations x 50,000 records at 100 ms; on a shared 2-core machine
use smaller ones (the figures are ratios between worker counts, run side by side):

    .venv/bin/python bench/scale_out.py --database-url postgresql+psycopg://...   # full size
    .venv/bin/python bench/scale_out.py --records 2000

The database URL defaults to FORCEBRIDGE_TEST_POSTGRES_URL (scripts/services.sh start prints
it). Prints a table and writes bench/results/scale_out.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from forcebridge.runtime import Runtime
from forcebridge.scheduling.broker import celery_app
from forcebridge.services import connections, data_sources, integrations, tenants
from forcebridge.services.connections import ConnectionInput
from forcebridge.services.integrations import IntegrationInput
from forcebridge.settings import Settings
from forcebridge.store.runs import Run

RESULTS = Path(__file__).resolve().parent / "results" / "scale_out.json"
ORG_FILE = """\
name: Scale-out bench org
daily_api_requests: 10000000
users:
  - {username: ops@bench.example, password: pw, security_token: tok, email: ops@bench.example}
connected_apps:
{apps}objects:
  - name: Ticket__c
    label: Ticket
    fields:
      - {name: Ticket_Number__c, type: string, length: 40, external_id: true}
      - {name: Note__c, type: string, length: 255}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(admin_url: str) -> Iterator[str]:
    name = f"fb_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: scripts/services.sh install")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             str(folder), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


@contextmanager
def emulator(folder: Path, latency_ms: int, connections: int) -> Iterator[str]:
    org_file = folder / "org.yaml"
    # a connected app per connection: the emulator counts calls in flight per app
    apps = "".join(f"  - {{name: app{n}, consumer_key: ck{n}, consumer_secret: cs,\n"
                   f"     callback_urls: [\"http://127.0.0.1:8000/api/v1/oauth/callback\"]}}\n"
                   for n in range(connections))
    org_file.write_text(ORG_FILE.replace("{apps}", apps))
    proc = subprocess.Popen(
        [sys.executable, "-m", "forcebridge_emulator", "serve", "--port", "0",
         "--latency-ms", str(latency_ms), "--org", str(org_file)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base = ""
        for line in proc.stdout:
            if "base URL:" in line:
                base = line.split("base URL:", 1)[1].strip()
                break
        if not base:
            raise RuntimeError("the emulator did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def in_flight_now(base: str) -> int:
    """Calls in flight on every connected app at once (0 when the busy emulator is slow to
    answer: a sample missed, not a figure)."""
    try:
        apps = httpx.get(f"{base}/__emulator__/stats", timeout=30).json()["connected_apps"]
    except httpx.HTTPError:
        return 0
    return sum(a["in_flight"] for a in apps.values())


def setup(rt: Runtime, base: str, folder: Path, args: argparse.Namespace) -> list[str]:
    files = folder / "files"
    files.mkdir()
    made = []
    with rt.db.begin() as s:
        tenant_id = tenants.create(s, "bench").id
        for c in range(args.connections):
            connections.create(s, rt.vault, tenant_id, ConnectionInput(
                name=f"org{c}", environment="custom", login_url=base, auth_flow="password",
                consumer_key=f"ck{c}", consumer_secret="cs", username="ops@bench.example",
                password="pw", security_token="tok", concurrency=args.concurrency))
        source = data_sources.create(rt, s, data_sources.DataSourceInput(
            name="files", kind="files", root=str(files)))
        data_sources.grant(rt, s, source.id, tenant_id)
    for n in range(args.integrations):
        path = files / f"i{n}.csv"
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["number", "note"])
            writer.writerows((f"i{n}-{i:07d}", f"note {i}") for i in range(args.records))
        config = {
            "source": {"kind": "csv", "name": "files", "path": path.name,
                       "key_column": "number"},
            "mapping": {
                "target": {"object": "Ticket__c", "external_id_field": "Ticket_Number__c"},
                "mappings": [{"field": "Ticket_Number__c", "column": "number"},
                             {"field": "Note__c", "column": "note"}],
            },
            "bulk_threshold": 1_000_000_000,
        }
        with rt.db.begin() as s:
            made.append(integrations.create(s, rt.vault, tenant_id, IntegrationInput(
                name=f"i{n}", kind="entity_sync", connection=f"org{n % args.connections}",
                config=config,
                schedule="0 0 1 1 *")).id)
    return made


def one(workers: int, admin_url: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fb-scale-bench-") as tmp:
        folder = Path(tmp)
        with database(admin_url) as url, redis_server(folder) as broker, \
                emulator(folder, args.latency_ms, args.connections) as base:
            settings = Settings(data_dir=folder / "data", database_url=url)
            rt = Runtime(settings)
            rt.migrate()
            env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
            env.update({"FORCEBRIDGE_DATA_DIR": str(settings.data_dir),
                        "FORCEBRIDGE_DATABASE_URL": url, "FORCEBRIDGE_BROKER_URL": broker,
                        "FORCEBRIDGE_LOG_LEVEL": "WARNING",
                        "FORCEBRIDGE_SCHEDULER_INTERVAL_SECONDS": "0.5"})
            logs = [folder / f"worker{i}.log" for i in range(workers)]
            procs = [subprocess.Popen([sys.executable, "-m", "forcebridge", "worker", "-c",
                                       str(args.worker_concurrency),
                                       "--name", f"bench{i}@%h"], env=env,
                                      stdout=log.open("wb"), stderr=subprocess.STDOUT)
                     for i, log in enumerate(logs)]
            try:
                # timed from work to do with every worker up, not from their start-up
                control = celery_app(Settings(broker_url=broker)).control
                while len(control.ping(timeout=1.0)) < workers:
                    for proc, log in zip(procs, logs, strict=True):
                        if proc.poll() is not None:
                            raise RuntimeError(f"a worker stopped: {log.read_text()[-3000:]}")
                made = setup(rt, base, folder, args)
                together = 0  # calls in flight on all connections at once, sampled
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "forcebridge", "scheduler"], env=env))
                while True:
                    with rt.db.session() as s:
                        done = s.scalar(select(func.count(func.distinct(Run.integration_id)))
                                        .where(Run.status.in_(["succeeded", "partial"])))
                    if done == len(made):
                        break
                    if any(p.poll() is not None for p in procs):
                        raise RuntimeError("a forcebridge process stopped")
                    together = max(together, in_flight_now(base))
                    time.sleep(0.5)
                with rt.db.session() as s:
                    first, last = s.execute(select(func.min(Run.started_at),
                                                   func.max(Run.ended_at))).one()
                wall = (last - first).total_seconds()
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=60)
            with rt.db.session() as s:
                created = int(s.scalar(select(func.sum(Run.created))) or 0)
            rt.close()
            stats = httpx.get(f"{base}/__emulator__/stats", timeout=60).json()
            apps = stats["connected_apps"]
            peaks = [apps.get(f"app{c}", {}).get("max_in_flight", 0)
                     for c in range(args.connections)]
            load = os.getloadavg()[0]
    total = args.integrations * args.records
    return {"workers": workers, "wall_seconds": round(wall, 2), "records": total,
            "created": created, "records_per_second": round(total / wall, 1),
            "max_in_flight": max(peaks), "max_in_flight_per_connection": peaks,
            "in_flight_together_sampled": together, "limit_held": max(peaks) <= args.concurrency,
            "load_average": round(load, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--integrations", type=int, default=20)
    parser.add_argument("--records", type=int, default=50_000, help="per integration")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10, help="the connection's level")
    parser.add_argument("--connections", type=int, default=20,
                        help="connections (one connected app each) the integrations spread over")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--worker-concurrency", type=int, default=4,
                        help="tasks per worker process (forcebridge worker -c, as in Procfile)")
    parser.add_argument("--database-url", default=os.environ.get(
        "FORCEBRIDGE_TEST_POSTGRES_URL"), help="a PostgreSQL server to make databases on")
    args = parser.parse_args()
    if not args.database_url:
        print("scale_out: needs PostgreSQL (--database-url, or FORCEBRIDGE_TEST_POSTGRES_URL "
              "as scripts/services.sh start prints it); skipped")
        return 0
    rows = [one(int(w), args.database_url, args) for w in args.workers.split(",")]
    print(f"{args.integrations} integrations x {args.records:,} records on "
          f"{args.connections} connections at concurrency {args.concurrency} each, latency "
          f"{args.latency_ms} ms, -c {args.worker_concurrency} per worker")
    print(f"{'workers':>7} {'wall s':>8} {'records/s':>10} {'max in flight':>14} "
          f"{'together':>9} {'held':>5} {'load':>5}")
    for r in rows:
        print(f"{r['workers']:>7} {r['wall_seconds']:>8} {r['records_per_second']:>10} "
              f"{r['max_in_flight']:>14} {r['in_flight_together_sampled']:>9} "
              f"{'yes' if r['limit_held'] else 'NO':>5} {r['load_average']:>5}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "bench": "scale_out", "machine": platform.platform(), "cpus": os.cpu_count(),
        "integrations": args.integrations, "records_per_integration": args.records,
        "latency_ms": args.latency_ms, "concurrency": args.concurrency,
        "connections": args.connections, "worker_concurrency": args.worker_concurrency,
        "runs": rows,
        "limit_held": all(r["limit_held"] for r in rows),
        "created_all": all(r["created"] == r["records"] for r in rows),
    }, indent=2) + "\n")
    return 0 if all(r["limit_held"] and r["created"] == r["records"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
