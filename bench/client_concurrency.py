"""Calls per second through one SalesforceClient at concurrency 1, 5 and 25.

The emulator answers every API call after 50 ms (fault `latency=50`), so a client that keeps
`c` calls in flight can at best make c / 0.05 calls per second. The table shows how close the
client comes to that ideal; the figures also go to bench/results/client_concurrency.json.

    .venv/bin/python bench/client_concurrency.py [--in-process] [--seconds 3]

By default the emulator runs under uvicorn on a real socket (in a thread); `--in-process`
uses httpx.ASGITransport instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from forcebridge.salesforce import ConcurrencyPool, Credentials, SalesforceClient
from forcebridge_emulator import FaultConfig, Org, create_app
from forcebridge_emulator import testing as emulator_testing

LATENCY_MS = 50
LEVELS = (1, 5, 25)
RESULTS = Path(__file__).resolve().parent / "results" / "client_concurrency.json"


@contextmanager
def emulator(in_process: bool) -> Iterator[tuple[str, httpx.AsyncBaseTransport | None, Any]]:
    faults = FaultConfig.parse(f"latency={LATENCY_MS}")
    if in_process:
        base = "http://emulator.bench"
        app = create_app(Org.demo(), faults=faults, base_url=base)
        yield base, httpx.ASGITransport(app=app), app
        return
    with emulator_testing.on_socket(faults=f"latency={LATENCY_MS}") as org:
        yield org.base_url, None, org.app


def credentials(app: Any, base: str) -> Credentials:
    config = app.state.emulator.org.config
    user, connected_app = config.users[0], config.connected_apps[0]
    return Credentials(
        "password",
        login_url=base,
        consumer_key=connected_app.consumer_key,
        consumer_secret=connected_app.consumer_secret,
        username=user.username,
        password=user.password,
        security_token=user.security_token,
    )


async def measure(
    creds: Credentials, transport: httpx.AsyncBaseTransport | None, level: int, seconds: float
) -> dict[str, Any]:
    pool = ConcurrencyPool(level)
    async with SalesforceClient(creds, pool=pool, transport=transport) as sf:
        record_id = await sf.create("Account", {"Name": "bench"})
        await sf.get("Account", record_id)  # warm the connections
        calls = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal calls
            while time.perf_counter() < deadline:
                await sf.get("Account", record_id, ["Name"])
                calls += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(level)))
        elapsed = time.perf_counter() - started
    rate = calls / elapsed
    ideal = level / (LATENCY_MS / 1000)
    return {
        "concurrency": level,
        "calls": calls,
        "seconds": round(elapsed, 3),
        "calls_per_second": round(rate, 1),
        "ideal_calls_per_second": round(ideal, 1),
        "share_of_ideal": round(rate / ideal, 3),
        "peak_in_flight": pool.peak,
    }


async def run(in_process: bool, seconds: float) -> dict[str, Any]:
    with emulator(in_process) as (base, transport, app):
        creds = credentials(app, base)
        rows = [await measure(creds, transport, level, seconds) for level in LEVELS]
    return {
        "benchmark": "client_concurrency",
        "transport": "in-process (httpx.ASGITransport)" if in_process else "socket (uvicorn)",
        "latency_ms": LATENCY_MS,
        "call": "GET sobjects/Account/{id}?fields=Name",
        "python": platform.python_version(),
        "results": rows,
    }


def table(report: dict[str, Any]) -> str:
    lines = [
        f"client concurrency, {report['transport']}, emulator latency {report['latency_ms']} ms",
        f"{'concurrency':>11} {'calls':>7} {'calls/s':>9} {'ideal/s':>9} {'of ideal':>9} {'peak':>5}",
    ]
    for r in report["results"]:
        lines.append(
            f"{r['concurrency']:>11} {r['calls']:>7} {r['calls_per_second']:>9.1f} "
            f"{r['ideal_calls_per_second']:>9.1f} {r['share_of_ideal']:>8.0%} "
            f"{r['peak_in_flight']:>5}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-process", action="store_true", help="no socket: ASGITransport")
    parser.add_argument("--seconds", type=float, default=3.0, help="per concurrency level")
    args = parser.parse_args()
    report = asyncio.run(run(args.in_process, args.seconds))
    print(table(report))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"written to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}"
    )


if __name__ == "__main__":
    main()
