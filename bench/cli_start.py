"""How long the CLI takes before it does anything, against what its own toolkit costs.

Runs, interleaved and side by side in one run, `python -c "import typer, rich"` (the
floor: the CLI toolkit alone), `forcebridge --help` and `forcebridge runs list <name> -t <tenant>`
(a real command reading an existing database, migrations already at head), each several times,
and compares medians. Targets: `--help` at most 2x the floor, `runs list` at most 3x.

Beside them, what any command like `runs list` pays before forcebridge's own code, measured the
same way: `typer_command`, a one-command typer app with the same kinds of parameters (typer
coerces parameters through pydantic, so it loads pydantic); `+sqlalchemy`, that command also
running one query on the same SQLite file through SQLAlchemy Core; `+orm`, also importing
`sqlalchemy.orm`, which the store's models are declared with.

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


# a one-command typer app shaped like `runs list` (an argument, a tenant, a limit, a flag)
TYPER_COMMAND = """
import typer
app = typer.Typer()
@app.command()
def main(name: str, tenant: str = typer.Option(None, "-t"), limit: int = 20,
         as_json: bool = False) -> None:
{body}
    print(name)
app()
"""
QUERY = """
    from sqlalchemy import create_engine, text
    with create_engine("sqlite:///" + {db!r}).connect() as c:
        c.execute(text("select count(*) from tenants")).all()
"""


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

    load_before = os.getloadavg()
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
        query = QUERY.format(db=str(Path(home, "forcebridge.db")))
        floors = {
            "typer_command": "    pass",
            "+sqlalchemy": query,
            "+orm": query + "    import sqlalchemy.orm\n",
        }
        commands = {
            "floor": [sys.executable, "-c", "import typer, rich"],
            **{name: [sys.executable, "-c", TYPER_COMMAND.format(body=body), "x", "-t", "acme"]
               for name, body in floors.items()},
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
    floor_ratios = {name: medians[name] / medians["floor"] for name in floors}
    print(f"{'command':<14} {'median s':>9} {'ratio':>6} {'target':>7}")
    print(f"{'floor':<14} {medians['floor']:>9.3f}")
    for name in floors:
        print(f"{name:<14} {medians[name]:>9.3f} {floor_ratios[name]:>5.2f}x")
    for name, target in TARGETS.items():
        mark = "ok" if ratios[name] <= target else "MISSED"
        print(f"{name:<14} {medians[name]:>9.3f} {ratios[name]:>5.2f}x {target:>6.1f}x {mark}")
    result = {
        "bench": "cli_start",
        "repeat": args.repeat,
        "python": platform.python_version(),
        "load_average_before": load_before,
        "load_average": os.getloadavg(),
        "median_seconds": medians,
        "ratio_to_floor": ratios,
        "what_a_database_command_pays": floor_ratios,
        "targets": TARGETS,
        "met": {name: ratios[name] <= TARGETS[name] for name in TARGETS},
        "samples": times,
    }
    out = Path(__file__).parent / "results" / "cli_start.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
