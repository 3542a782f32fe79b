"""`forcebridge api-clients ...` as a user runs it: a real process, its exit code and output."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

# Runs the real `forcebridge` entry point.
_MAIN = """
import sys
from forcebridge import cli
sys.argv = ["forcebridge", *sys.argv[1:]]
cli.main()
"""

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
    env.update({"FORCEBRIDGE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", "NO_COLOR": "1"})

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-c", _MAIN, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if ok:
            assert proc.returncode == 0, proc.stderr + proc.stdout
        return proc

    return run


def test_create_list_rotate_revoke(cli: Cli, tmp_path: Path) -> None:
    cli("tenants", "create", "Acme")
    created: dict[str, Any] = json.loads(
        cli(
            "api-clients", "create", "Acme org", "-t", "Acme",
            "--scope", "records:write", "--scope", "events:write", "--json",
        ).stdout
    )  # fmt: skip
    assert created["client_id"].startswith("fbc_") and created["client_secret"].startswith("fbcs_")
    assert created["scopes"] == ["events:write", "records:write"]
    assert created["token_url"].endswith("/oauth/token")
    listed = json.loads(cli("api-clients", "list", "-t", "Acme", "--json").stdout)
    assert [c["client_id"] for c in listed] == [created["client_id"]]
    assert "client_secret" not in listed[0]
    table = cli("api-clients", "rotate", created["id"], "-t", "Acme").stdout
    assert "not shown again" in table
    rotated = json.loads(
        cli("api-clients", "rotate", created["client_id"], "-t", "Acme", "--json").stdout
    )
    assert rotated["client_secret"] != created["client_secret"] and rotated["rotated_at"]
    out = cli("api-clients", "revoke", "Acme org", "--end-tokens").stdout  # the only tenant
    assert f"revoked api client {created['client_id']}; its access tokens are ended" in out
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'forcebridge.db'}")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_hash, revoked_at FROM api_clients")).one()
    engine.dispose()
    assert stored[1] is not None
    assert stored[0] == hashlib.sha256(rotated["client_secret"].encode()).hexdigest()


def test_unknown_scopes_fail_in_one_line(cli: Cli) -> None:
    cli("tenants", "create", "Acme")
    proc = cli("api-clients", "create", "x", "-t", "Acme", "--scope", "admin:all", ok=False)
    assert proc.returncode == 1 and "unknown scope 'admin:all'" in proc.stderr
    assert "Traceback" not in proc.stderr
