"""How long the CLI takes before it does anything, against what its own toolkit costs.

Runs, interleaved and side by side in one run, `python -c "import typer, rich"` (the
floor: the CLI toolkit alone), `forcebridge --help` and `forcebridge runs list <name> -t <tenant>`
(a real command reading an existing database, migrations already at head), each several times,
and compares medians. Targets: `--help` at most 2x the floor, `runs list` at most 3x.

    .venv/bin/python bench/cli_start.py [--repeat 15]

Prints a table and writes bench/results/cli_start.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGETS = {"help": 2.0, "runs_list": 3.0}
CONFIG = {
    "source": {"kind": "csv", "name": "bench files", "path": "invoices.csv",
               "key_column": "number"},
    "mapping": {
        "target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
        "mappings": [{"field": "Invoice_Number__c", "column": "number"},
                     {"field": "Amount__c", "column": "amount"}],
    },
}


def wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "FORCEBRIDGE_DATA_DIR": home, "COLUMNS": "80"}
        cli = str(BIN / "forcebridge")
        # a database at head with one tenant and one integration to list runs of
        Path(home, "invoices.csv").write_text("number,amount\nINV-1,12.50\n")
        Path(home, "invoices.json").write_text(json.dumps(CONFIG))
        for argv in (["tenants", "create", "acme"],
                     ["sources", "add", "bench files", "--root", home, "--grant", "acme"],
                     ["integrations", "create", "-n", "invoices", "-k", "entity_sync", "-t",
                      "acme", "-f", str(Path(home, "invoices.json"))]):
            subprocess.run([cli, *argv], env=env, check=True, capture_output=True)
        commands = {
            "floor": [sys.executable, "-c", "import typer, rich"],
            "help": [cli, "--help"],
            "runs_list": [cli, "runs", "list", "invoices", "-t", "acme"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():  # warm the page cache once
            wall(argv, env)
        for _ in range(args.repeat):
            for name, argv in commands.items():
                times[name].append(wall(argv, env))

    medians = {name: statistics.median(values) for name, values in times.items()}
    ratios = {name: medians[name] / medians["floor"] for name in TARGETS}
    print(f"{'command':<12} {'median s':>9} {'ratio':>6} {'target':>7}")
    print(f"{'floor':<12} {medians['floor']:>9.3f}")
    for name, target in TARGETS.items():
        mark = "ok" if ratios[name] <= target else "MISSED"
        print(f"{name:<12} {medians[name]:>9.3f} {ratios[name]:>5.2f}x {target:>6.1f}x {mark}")
    result = {
        "bench": "cli_start",
        "repeat": args.repeat,
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "median_seconds": medians,
        "ratio_to_floor": ratios,
        "targets": TARGETS,
        "met": {name: ratios[name] <= TARGETS[name] for name in TARGETS},
        "samples": times,
    }
    out = Path(__file__).parent / "results" / "cli_start.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
