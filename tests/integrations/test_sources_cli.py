"""`forcebridge sources ...`: the operator's commands on the server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from forcebridge.cli import app
from forcebridge.errors import InvalidInput


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, ["sources", *args], catch_exceptions=True)


@pytest.fixture
def server(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORCEBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
    assert CliRunner().invoke(app, ["tenants", "create", "acme"]).exit_code == 0
    (tmp_path / "exports").mkdir()
    return tmp_path


def test_add_grant_list_revoke_and_remove(server: Path) -> None:
    url = f"sqlite:///{server / 'billing.db'}"
    added = cli("add", "billing", "--url", url,
                "--table", "invoices", "--table", "reports.*", "--timeout", "10",
                "--grant", "acme", "--json")
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    assert shown["tables"] == ["invoices", "reports.*"] and shown["tenants"] == ["acme"]
    assert shown["timeout_seconds"] == 10
    files = cli("add", "exports", "--root", str(server / "exports"))
    assert files.exit_code == 0, files.output
    both = cli("add", "x", "--url", url, "--root", str(server))
    assert both.exit_code != 0 and "exactly one of --url" in both.output
    relative = cli("add", "x", "--root", "exports")
    assert isinstance(relative.exception, InvalidInput)
    assert relative.exception.details[0]["field"] == "root"
    assert cli("grant", "exports", "acme").exit_code == 0
    listed = cli("list").output
    assert "billing" in listed and "exports" in listed and "acme" in listed
    assert cli("update", "exports", "--name", "shared").exit_code == 0
    assert json.loads(cli("show", "shared", "--json").output)["root"] == str(server / "exports")
    assert cli("revoke", "shared", "acme").exit_code == 0
    assert json.loads(cli("show", "shared", "--json").output)["tenants"] == []
    assert cli("remove", "shared").exit_code == 0
    gone = cli("show", "shared")
    assert gone.exit_code != 0
    assert "grant" in cli("--help").output and "--url" in cli("add", "--help").output


def test_the_store_cannot_be_added(server: Path, database_url: str) -> None:
    refused = cli("add", "store", "--url", database_url)
    assert isinstance(refused.exception, InvalidInput)
    assert "forcebridge's own database" in refused.exception.details[0]["reason"]
