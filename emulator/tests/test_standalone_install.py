"""`pip install ./emulator` in a fresh virtualenv gives a working `forcebridge-emulator serve`
with no forcebridge installed (the package stands on its own). Slow (a venv and a pip install),
so it runs once per `make test`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest
from harness.served import password_grant

EMULATOR_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(600)
def test_pip_install_gives_a_working_serve_without_forcebridge(tmp_path: Path) -> None:
    # A copy, so the build leaves nothing (build/, *.egg-info) in the repository.
    source = shutil.copytree(
        EMULATOR_DIR, tmp_path / "emulator", ignore=shutil.ignore_patterns("build", "*.egg-info")
    )
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python, script = env_dir / "bin" / "python", env_dir / "bin" / "forcebridge-emulator"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)],
        check=True,
        timeout=540,
    )
    no_forcebridge = subprocess.run([python, "-c", "import forcebridge"], capture_output=True)
    assert no_forcebridge.returncode != 0
    assert sys.prefix != str(env_dir)

    proc = subprocess.Popen(
        [script, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline()]
        while banner[-1] and "admin:" not in banner[-1]:
            banner.append(proc.stdout.readline())
        base = next(line.split(":", 1)[1].strip() for line in banner if "base URL:" in line)
        info = httpx.get(f"{base}/__emulator__/org", timeout=10).json()
        token = httpx.post(
            info["token_url"],
            data=password_grant(info),
            timeout=10,
        )
        assert token.status_code == 200, token.text
        limits = httpx.get(
            f"{base}/services/data/v62.0/limits",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=10,
        )
        assert limits.status_code == 200 and "DailyApiRequests" in limits.json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
