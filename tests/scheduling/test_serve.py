"""`forcebridge serve` runs the scheduler: in-process through the app's lifespan, and as a real
process on a free port against the emulator on a socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.scheduling import Scheduler, attach
from forcebridge.store.runs import Run
from tests.emulated_org import connect
from tests.salesforce.emulated import on_socket
from tests.scheduling.conftest import Tenant

pytest.importorskip("forcebridge.runs")

_MAIN = "import sys; from forcebridge.cli import main; sys.argv[0] = 'forcebridge'; main()"


def wait_for(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def ended_scheduled_runs(acme: Tenant) -> list[Run]:
    return [r for r in acme.runs() if r.trigger == "schedule" and r.status != "running"]


def test_the_app_lifespan_runs_the_scheduler(acme: Tenant) -> None:
    acme.rt.settings.scheduler_interval_seconds = 0.05
    made = acme.integration("accounts")
    app = create_app(acme.rt)
    scheduler = attach(app, acme.rt)
    assert isinstance(app.state.scheduler, Scheduler)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        wait_for(lambda: len(ended_scheduled_runs(acme)) == 1)
        passes = scheduler.passes
        wait_for(lambda: scheduler.passes > passes + 2)  # the loop goes on after the run
    (run,) = ended_scheduled_runs(acme)
    assert (run.integration_id, run.status) == (made, "succeeded")
    stopped = scheduler.passes
    time.sleep(0.2)
    assert scheduler.passes == stopped  # the lifespan's end stopped it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(acme: Tenant, tmp_path: Path, *args: str) -> Iterator[tuple[str, list[str]]]:
    """`forcebridge serve` in a subprocess on the test's database; its base URL and output."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
    env.update({
        "FORCEBRIDGE_DATA_DIR": str(acme.rt.settings.data_dir),
        "FORCEBRIDGE_DATABASE_URL": acme.rt.settings.resolved_database_url,
        "FORCEBRIDGE_SCHEDULER_INTERVAL_SECONDS": "0.1",
        "FORCEBRIDGE_LOG_FORMAT": "json",
    })
    log_file = tmp_path / "serve.log"
    with log_file.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", _MAIN, "serve", "--port", str(port), *args],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    output: list[str] = []
    try:
        wait_for(lambda: _healthy(base, proc), seconds=60)
        yield base, output
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        output.extend(log_file.read_text().splitlines())
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to exit by it
    assert proc.returncode in (0, -signal.SIGTERM), "\n".join(output)
    assert any("Application shutdown complete" in line for line in output), "\n".join(output)


def _healthy(base: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise AssertionError(f"serve exited with {proc.returncode}")
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_forcebridge_serve_runs_a_due_integration(acme: Tenant, tmp_path: Path) -> None:
    with on_socket() as emu:
        with acme.rt.db.begin() as s:
            connect(s, acme.rt, acme.tenant_id, emu, "socket org")
        made = acme.integration("accounts", connection="socket org")
        with served(acme, tmp_path) as (_base, output):
            wait_for(lambda: len(ended_scheduled_runs(acme)) == 1, seconds=60)
        (run,) = ended_scheduled_runs(acme)
        assert (run.integration_id, run.status, run.created) == (made, "succeeded", 2)
        assert {r["Name"] for r in emu.org.iter_records("Account")} >= {"Acme", "Globex"}
    assert any('"scheduler stopped"' in line for line in output)


def test_forcebridge_serve_no_scheduler_serves_the_api_only(
    acme: Tenant, tmp_path: Path
) -> None:
    acme.integration("accounts")
    with served(acme, tmp_path, "--no-scheduler") as (base, output):
        time.sleep(1.0)
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    assert acme.runs() == []
    assert not any('"scheduler started"' in line for line in output)
