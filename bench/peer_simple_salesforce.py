"""forcebridge against the script a user would write in an afternoon with simple-salesforce.

The script is the one simple-salesforce's README shows for Bulk API 2.0: export the table to a
CSV file with the org's column names, then `sf.bulk2.<Object>.upsert(csv_file=...,
external_id_field=...)` (its defaults: one job per 100 MB / 150,000,000 records, a 5 s wait
before the first status check). forcebridge is `forcebridge run` in its own process, on the
same source and the same integration as bench/sync_initial.py. Each competitor gets a fresh
emulated org (its own `forcebridge emulator serve --tls` process, the Bulk API processing
model on: `bulk_rate=2000,bulk_parallel=10`), back to back in one run, at 100,000 and
300,000 records and 0 and 50 ms per call. A re-sync then changes 1% of the rows: forcebridge
sends what changed; the script, having no state, uploads everything again.

Measured per competitor: wall time and CPU time of its own process (a child process each:
`resource.RUSAGE_CHILDREN`), API calls (the emulator's own counter).
Targets: forcebridge wall <= 0.7x the script's, API calls <= the script's + 10, CPU <= 1.5x
the script's; its 1% re-sync <= 0.3x the script's re-upload.

    .venv/bin/python bench/peer_simple_salesforce.py [--records 100000 300000] [--latency 0 50]

Prints a table and writes bench/results/peer_simple_salesforce.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forcebridge.runtime import Runtime
from forcebridge.settings import Settings
from forcebridge_emulator import demo_config
from sync_initial import INTEGRATION, api_calls, change, emulator, generate, setup

RESULTS = Path(__file__).resolve().parent / "results" / "peer_simple_salesforce.json"
BULK_MODEL = "bulk_rate=2000,bulk_parallel=10"
TARGETS = {"wall": 0.7, "cpu": 1.5, "extra_calls": 10, "resync": 0.3}

# The hand-written script: the source table out to CSV, then the README's one call.
SCRIPT = r'''
import csv, sqlite3, sys
import requests
from simple_salesforce import Salesforce

source, folder, base, cert = sys.argv[1:5]
session = requests.Session()
session.verify = cert
session.trust_env = False
login = session.post(f"{base}/services/oauth2/token", data=dict(
    grant_type="password", client_id=sys.argv[5], client_secret=sys.argv[6],
    username=sys.argv[7], password=sys.argv[8])).json()
sf = Salesforce(instance_url=login["instance_url"], session_id=login["access_token"],
                session=session, version="62.0")
path = f"{folder}/balances.csv"
with open(path, "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["acme__External_Id__c", "Name", "acme__Amount__c", "acme__Currency__c",
                  "acme__As_Of__c", "acme__Updated_At__c"])
    rows = sqlite3.connect(source).execute(
        "SELECT id, name, amount, currency, as_of, updated_at FROM balances")
    for id_, name, amount, currency, as_of, updated_at in rows:
        out.writerow([id_, name, f"{amount:.2f}", currency, as_of,
                      updated_at.replace(" ", "T") + "Z"])
results = sf.bulk2.acme__Balance__c.upsert(csv_file=path, external_id_field="acme__External_Id__c")
failed = sum(int(r["numberRecordsFailed"]) for r in results)
print(sum(int(r["numberRecordsProcessed"]) for r in results) - failed, failed)
'''


def child(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of one child process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise RuntimeError(f"{argv[:3]} failed: {done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def script_runs(folder: Path, source: Path, latency: int, share: float) -> dict[str, Any]:
    org = demo_config()
    user, app = org.users[0], org.connected_apps[0]
    with emulator(folder, latency, BULK_MODEL, tls=True) as base:
        os.environ["SSL_CERT_FILE"] = str(folder / "emulator-cert.pem")  # our stats calls
        argv = [sys.executable, "-c", SCRIPT, str(source), str(folder), base,
                str(folder / "emulator-cert.pem"), app.consumer_key, app.consumer_secret,
                user.username, user.password + user.security_token]  # fmt: skip
        out: dict[str, Any] = {}
        for label in ("initial", "resync"):
            if label == "resync":
                change(source, share, 0, "2025-01-01 00:00:00")
            calls = api_calls(base)
            wall, cpu, printed = child(argv, dict(os.environ))
            written, failed = (int(x) for x in printed.split())
            out[label] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                          "api_calls": api_calls(base) - calls, "written": written,
                          "failed": failed}  # fmt: skip
    return out


def forcebridge_runs(folder: Path, source: Path, latency: int, share: float) -> dict[str, Any]:
    with emulator(folder, latency, BULK_MODEL, tls=True) as base:
        env = {**os.environ, "SSL_CERT_FILE": str(folder / "emulator-cert.pem"),
               "FORCEBRIDGE_DATA_DIR": str(folder / "store"), "FORCEBRIDGE_LOG_LEVEL": "WARNING"}
        os.environ["SSL_CERT_FILE"] = env["SSL_CERT_FILE"]  # set-up and stats calls
        rt = Runtime(Settings(data_dir=folder / "store", log_level="WARNING"))
        rt.migrate()
        source_url = f"sqlite:///{source}"
        setup(rt, base, source_url, 10)  # tenant "bench", connection, integration
        argv = [str(Path(sys.executable).parent / "forcebridge"), "run", INTEGRATION,
                "-t", "bench", "--json"]
        out: dict[str, Any] = {}
        for label in ("initial", "resync"):
            if label == "resync":
                change(source, share, 0, "2025-01-01 00:00:00")
            calls = api_calls(base)
            wall, cpu, printed = child(argv, env)
            run = json.loads(printed)
            counts = run["counts"]
            out[label] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                          "api_calls": api_calls(base) - calls, "status": run["status"],
                          "written": counts["created"] + counts["updated"],
                          "failed": counts["failed"]}  # fmt: skip
        rt.close()
    return out


def one(records: int, latency: int, share: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fb-bench-peer-") as tmp:
        folder = Path(tmp)
        results: dict[str, Any] = {}
        for name, runs in (("script", script_runs), ("forcebridge", forcebridge_runs)):
            sub = folder / name
            sub.mkdir()
            source = sub / "source.db"
            proc = multiprocessing.get_context("spawn").Process(
                target=generate, args=(str(source), records))
            proc.start()
            proc.join()
            print(f"  {name}: {records:,} records, {latency} ms ...", flush=True)
            results[name] = runs(sub, source, latency, share)
    s, f = results["script"], results["forcebridge"]
    ratios = {
        "wall": f["initial"]["wall_s"] / s["initial"]["wall_s"],
        "cpu": f["initial"]["cpu_s"] / s["initial"]["cpu_s"],
        "extra_calls": f["initial"]["api_calls"] - s["initial"]["api_calls"],
        "resync": f["resync"]["wall_s"] / s["resync"]["wall_s"],
    }
    met = {k: ratios[k] <= TARGETS[k] for k in TARGETS}
    met["all_written"] = (f["initial"]["written"] == records and f["initial"]["failed"] == 0
                          and s["initial"]["written"] == records)
    return {"records": records, "latency_ms": latency, "script": s, "forcebridge": f,
            "ratios": {k: round(v, 2) for k, v in ratios.items()}, "met": met}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 50])
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args()
    cases = []
    for records in args.records:
        for latency in args.latency:
            cases.append(one(records, latency, args.changed))
    print(f"{'records':>8} {'ms':>3} {'wall fb/script':>15} {'calls fb-script':>16} "
          f"{'cpu fb/script':>14} {'re-sync fb/script':>18}")
    for c in cases:
        r = c["ratios"]
        print(f"{c['records']:>8} {c['latency_ms']:>3} {r['wall']:>15.2f} "
              f"{r['extra_calls']:>16} {r['cpu']:>14.2f} {r['resync']:>18.2f}")
    print(f"targets: wall <= {TARGETS['wall']}, calls <= +{TARGETS['extra_calls']}, "
          f"cpu <= {TARGETS['cpu']}, re-sync <= {TARGETS['resync']}")
    RESULTS.write_text(json.dumps({
        "benchmark": "peer_simple_salesforce", "bulk_model": BULK_MODEL, "targets": TARGETS,
        "cases": cases, "python": platform.python_version(), "load_average": os.getloadavg(),
    }, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
