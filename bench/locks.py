"""Parent row locks: 200,000 contacts across 2,000 accounts, with and without parent grouping.

Why: a real org locks a parent row while children referencing it are written; a parallel load
of contacts whose accounts recur all through the file makes concurrent Bulk API batches wait
for each other and fail `UNABLE_TO_LOCK_ROW`. forcebridge sorts a bulk job's records by parent
and never has two writes in flight naming the same parent; records that still meet a lock are
written again one chunk at a time at the end. This bench runs the same sync twice, side by
side in one run, on a fresh emulated org each, with `Settings.run_group_by_parent` on and off.

The emulator runs in its own process with the Bulk API processing model and parent locks on
(`bulk_rate=2000,bulk_parallel=10,parent_locks=1`, a batch of 10,000 taking 5 s and a blocked
batch waiting 10 s before its rows fail, see docs/emulator.md) and 20 ms per call. The source
is a CSV file ordered by contact, contact i belonging to account i mod 2,000 (every account is
referenced all through the file); the connection's concurrency is 10. Lock failures are the
emulator's count of parents a batch could not lock; records failed are the run's.

    .venv/bin/python bench/locks.py                                  # 200,000 / 2,000
    .venv/bin/python bench/locks.py --contacts 20000 --accounts 200  # a quick run

Targets: grouped, 0 records failed; grouped at least 2x faster than ungrouped.
Prints a table and writes bench/results/locks.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
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
from sync_initial import (
    CONNECTION,
    api_calls,
    cpu_seconds,
    emulator,
)

RESULTS = Path(__file__).resolve().parent / "results" / "locks.json"
V = "/services/data/v62.0"
FAULTS = "bulk_rate=2000,bulk_parallel=10,parent_locks=1,lock_wait=10000"
LATENCY_MS = 20
INTEGRATION = "bench contacts"
SPEEDUP_TARGET = 2.0


def write_source(path: Path, contacts: int, accounts: int) -> None:
    with path.open("w") as f:
        f.write("id,last_name,account\n")
        for i in range(contacts):
            f.write(f"C-{i:07d},Contact {i},A-{i % accounts:05d}\n")


def token(base: str) -> str:
    org = demo_config()
    user, app = org.users[0], org.connected_apps[0]
    return str(httpx.post(f"{base}/services/oauth2/token", data={
        "grant_type": "password", "client_id": app.consumer_key,
        "client_secret": app.consumer_secret, "username": user.username,
        "password": user.password + user.security_token,
    }, timeout=30).json()["access_token"])  # fmt: skip


def seed_accounts(base: str, accounts: int) -> None:
    headers = {"Authorization": f"Bearer {token(base)}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        for start in range(0, accounts, 200):
            records = [{"attributes": {"type": "Account"}, "Name": f"Account {a}",
                        "External_Id__c": f"A-{a:05d}"}
                       for a in range(start, min(start + 200, accounts))]  # fmt: skip
            answer = http.post(f"{V}/composite/sobjects", json={"records": records})
            answer.raise_for_status()


def lock_failures(base: str) -> int:
    return int(httpx.get(f"{base}/__emulator__/faults", timeout=30).json()["injected"]["lock"])


def one_sync(contacts: int, accounts: int, grouped: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fb-bench-locks-") as tmp:
        folder = Path(tmp)
        source = folder / "contacts.csv"
        write_source(source, contacts, accounts)
        with emulator(folder, LATENCY_MS, FAULTS) as base:
            seed_accounts(base, accounts)
            rt = Runtime(Settings(data_dir=folder / "store", log_level="WARNING",
                                  run_group_by_parent=grouped))  # fmt: skip
            rt.migrate()
            org = demo_config()
            user, app = org.users[0], org.connected_apps[0]
            with rt.db.begin() as s:
                tenant_id = tenants.create(s, "bench", actor="bench").id
                connections.create(s, rt.vault, tenant_id, ConnectionInput(
                    name=CONNECTION, environment="custom", login_url=base,
                    auth_flow="password", consumer_key=app.consumer_key,
                    consumer_secret=app.consumer_secret, username=user.username,
                    password=user.password, security_token=user.security_token,
                    concurrency=10,
                ), actor="bench")  # fmt: skip
                data_sources.create(rt, s, DataSourceInput(
                    name="bench files", kind="files", root=str(folder)), actor="bench")
                data_sources.grant(rt, s, "bench files", tenant_id, actor="bench")
            asyncio.run(authorization.authorize(rt, tenant_id, CONNECTION))
            config = {
                "source": {"kind": "csv", "name": "bench files", "path": source.name,
                           "key_column": "id"},
                "mapping": {
                    "target": {"object": "Contact", "external_id_field": "External_Id__c"},
                    "mappings": [
                        {"field": "External_Id__c", "column": "id"},
                        {"field": "LastName", "column": "last_name"},
                        {"field": "AccountId", "column": "account", "transform": {
                            "type": "reference", "external_id_field": "External_Id__c"}},
                    ],
                },
            }  # fmt: skip
            asyncio.run(integration_saves.save(rt, tenant_id, IntegrationInput(
                name=INTEGRATION, kind="entity_sync", connection=CONNECTION, config=config,
                schedule=""), actor="bench"))  # fmt: skip
            from forcebridge.runs import run_integration

            calls0, cpu0, t0 = api_calls(base), cpu_seconds(), time.perf_counter()
            run_id = asyncio.run(run_integration(rt, tenant_id, INTEGRATION))
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
            calls, locks = api_calls(base) - calls0, lock_failures(base)
            with rt.db.begin() as s:
                run = s.get(Run, run_id)
                assert run is not None
                result = {"status": run.status, "created": run.created,
                          "updated": run.updated, "failed": run.failed}  # fmt: skip
            rt.close()
    return {"grouped": grouped, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "api_calls": calls, "lock_failures": locks, **result}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    args = parser.parse_args()
    runs = []
    for grouped in (True, False):
        print(f"{'grouped' if grouped else 'ungrouped'}: {args.contacts:,} contacts ...",
              flush=True)
        runs.append(one_sync(args.contacts, args.accounts, grouped))
    grouped, ungrouped = runs
    speedup = ungrouped["wall_s"] / grouped["wall_s"]
    print(f"{'':<10} {'wall s':>7} {'cpu s':>6} {'calls':>6} {'lock failures':>14} "
          f"{'failed':>7} status")
    for r in runs:
        print(f"{'grouped' if r['grouped'] else 'ungrouped':<10} {r['wall_s']:>7.1f} "
              f"{r['cpu_s']:>6.1f} {r['api_calls']:>6} {r['lock_failures']:>14} "
              f"{r['failed']:>7} {r['status']}")
    print(f"grouped is {speedup:.2f}x faster (target >= {SPEEDUP_TARGET}x)")
    result = {
        "benchmark": "locks",
        "contacts": args.contacts,
        "accounts": args.accounts,
        "emulator_faults": FAULTS,
        "latency_ms": LATENCY_MS,
        "concurrency": 10,
        "runs": runs,
        "speedup": round(speedup, 2),
        "targets": {
            "grouped_zero_failed": {"value": grouped["failed"],
                                    "pass": grouped["failed"] == 0
                                    and grouped["status"] == "succeeded"},
            "grouped_2x_faster": {"value": round(speedup, 2), "limit": SPEEDUP_TARGET,
                                  "pass": speedup >= SPEEDUP_TARGET},
        },
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }  # fmt: skip
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
