"""The CLI as a user runs it: a real process, its exit code and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
    env.update({"FORCEBRIDGE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", "NO_COLOR": "1"})

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "forcebridge", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if ok:
            assert proc.returncode == 0, proc.stderr + proc.stdout
        return proc

    return run


def test_help_lists_every_command_with_a_line_each(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("--help").stdout
    for command in (
        "tenants",
        "users",
        "api-keys",
        "connections",
        "records",
        "objects",
        "api-clients",
        "emulator",
        "db",
        "secrets",
        "serve",
        "demo",
    ):
        assert command in out
    assert "Create, list and delete tenants" in out


def test_tenants_users_and_keys_round_trip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("db", "upgrade")
    created = json.loads(cli("tenants", "create", "Acme", "--json").stdout)
    assert created["name"] == "Acme"
    cli("users", "add", "Ann", "ann@acme.example", "--tenant", "Acme")
    users = json.loads(cli("users", "list", "--tenant", "Acme", "--json").stdout)
    assert [u["email"] for u in users] == ["ann@acme.example"]
    key = json.loads(
        cli("api-keys", "create", "backend", "--tenant", created["id"], "--json").stdout
    )
    assert key["key"].startswith("fbk_")
    listed = json.loads(cli("api-keys", "list", "--tenant", "Acme", "--json").stdout)
    assert listed[0]["prefix"] == key["prefix"] and "key" not in listed[0]
    table = cli("tenants", "list").stdout
    assert "Acme" in table
    assert (tmp_path / "data" / "secret.key").exists()


def test_errors_are_one_clear_line_and_exit_1(cli) -> None:  # type: ignore[no-untyped-def]
    proc = cli("users", "list", "--tenant", "nobody", ok=False)
    assert proc.returncode == 1
    assert "tenant 'nobody' not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    bad = cli("users", "add", "Ann", "not-an-email", "--tenant", "nobody", ok=False)
    assert bad.returncode == 1


def test_rotate_key_keeps_the_store_usable(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("tenants", "create", "Acme")
    before = (tmp_path / "data" / "secret.key").read_text()
    out = cli("secrets", "rotate-key").stdout
    assert "resealed" in out
    assert (tmp_path / "data" / "secret.key").read_text() != before
    assert "Acme" in cli("tenants", "list").stdout


def test_demo_creates_a_tenant_and_a_working_key(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("demo").stdout
    assert "fbk_" in out and "forcebridge serve" in out
    # The connection to the embedded emulator was authorized by JWT bearer and described Account.
    assert "jwt_bearer, status authorized" in " ".join(out.split())
    assert "00D" in out and "demo@forcebridge.example" in out
    assert "required on create" in out and "External_Id__c" in out
    again = cli("demo").stdout  # runs again on the same data without error
    assert "fbk_" in again
    assert len(json.loads(cli("tenants", "list", "--json").stdout)) == 1
    listed = json.loads(cli("connections", "list", "--tenant", "demo", "--json").stdout)
    assert [(c["name"], c["status"], c["private_key"]) for c in listed] == [
        ("Demo org (emulator)", "authorized", "set")
    ]


def test_connections_from_the_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("tenants", "create", "Acme")
    added = json.loads(
        cli(
            "connections", "add", "Acme sandbox", "--tenant", "Acme", "-e", "sandbox", "-f", "password",
            "--consumer-key", "ck", "--consumer-secret", "cs-secret", "--username", "u@acme.example",
            "--password", "pw-secret", "--concurrency", "3", "--json",
        ).stdout
    )  # fmt: skip
    assert added["login_url"] == "https://test.salesforce.com" and added["password"] == "set"
    cli("connections", "add", "Borrower", "--tenant", "Acme", "-f", "client_credentials",
        "--consumer-key", "ck", "--consumer-secret", "x", "--borrow-from", "Acme sandbox")  # fmt: skip
    shown = cli("connections", "show", "Borrower", "--tenant", "Acme", "--json").stdout
    assert json.loads(shown)["effective_concurrency"] == 3
    assert json.loads(shown)["api_budget_percent"] == 80
    budget = cli("connections", "update", "Borrower", "--tenant", "Acme",
                 "--api-budget-percent", "60", "--json").stdout
    assert json.loads(budget)["api_budget_percent"] == 60
    over = cli("connections", "update", "Borrower", "--tenant", "Acme",
               "--api-budget-percent", "101", ok=False)
    assert over.returncode != 0 and "--api-budget-percent" in over.stderr
    assert "secret" not in cli("connections", "list", "--tenant", "Acme", "--json").stdout.replace(
        '"consumer_secret"', ""
    )
    refused = cli("connections", "delete", "Acme sandbox", "--tenant", "Acme", ok=False)
    assert refused.returncode == 1 and "Borrower" in refused.stderr
    bad = cli(
        "connections", "add", "X", "--tenant", "Acme", "-f", "password", "-e", "moon", ok=False
    )
    assert bad.returncode == 1 and "environment" in bad.stderr and "Traceback" not in bad.stderr
