"""The faces of a scaled-out install: `forcebridge worker --check`, `forcebridge scheduler`
without a broker, `/readyz` with one, and `serve` leaving the scheduled work to them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.settings import Settings
from tests.scaleout.servers import free_port


def forcebridge(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
    clean.update({"FORCEBRIDGE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "80",
                  "NO_COLOR": "1", **env})
    return subprocess.run([sys.executable, "-m", "forcebridge", *args], env=clean,
                          capture_output=True, text=True, timeout=120)


def test_worker_check_reports_the_broker_and_the_database(tmp_path: Path, redis_url: str) -> None:
    forcebridge(tmp_path, "db", "upgrade")
    done = forcebridge(tmp_path, "worker", "--check", FORCEBRIDGE_BROKER_URL=redis_url)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["broker", "ok"]
    assert lines[1].split()[:3] == ["database", "ok", "sqlite,"]
    assert all(len(line) <= 80 for line in lines)


def test_worker_check_fails_naming_an_unreachable_broker(tmp_path: Path) -> None:
    forcebridge(tmp_path, "db", "upgrade")
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    done = forcebridge(tmp_path, "worker", "--check", FORCEBRIDGE_BROKER_URL=nowhere)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].split()[:3] == ["broker", "failed", "broker"]
    assert "unreachable" in done.stdout


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_worker_and_scheduler_refuse_to_start_without_a_broker(
    tmp_path: Path, command: str
) -> None:
    done = forcebridge(tmp_path, command)
    assert done.returncode == 1
    assert "FORCEBRIDGE_BROKER_URL" in done.stderr and "forcebridge serve" in done.stderr


@pytest.fixture
def runtime_with(tmp_path: Path) -> Iterator[object]:
    made: list[Runtime] = []

    def make(broker: str) -> Runtime:
        rt = Runtime(Settings(data_dir=tmp_path / "data", broker_url=broker,
                              database_url=f"sqlite:///{tmp_path / 'store.db'}"))
        rt.migrate()
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


def test_readyz_reports_the_broker_when_one_is_configured(
    runtime_with, redis_url: str  # type: ignore[no-untyped-def]
) -> None:
    with TestClient(create_app(runtime_with(redis_url))) as api:
        answer = api.get("/readyz")
    assert answer.status_code == 200 and answer.json()["broker"] == "ok"


def test_readyz_is_unavailable_when_the_broker_does_not_answer(
    runtime_with,  # type: ignore[no-untyped-def]
) -> None:
    with TestClient(create_app(runtime_with(f"redis://127.0.0.1:{free_port()}/0"))) as api:
        answer = api.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["reason"].startswith("broker unreachable")
