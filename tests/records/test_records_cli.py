"""`forcebridge records` and `forcebridge objects` against the emulator on a real socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from forcebridge.cli import objects as objects_cli
from forcebridge.cli import records as records_cli
from forcebridge.errors import InvalidInput, NotFound
from forcebridge.runtime import Runtime
from forcebridge.settings import Settings
from tests.emulated_org import connected_tenant
from tests.salesforce.emulated import Emulated, on_socket

COMMON = ["--connection", "demo", "--tenant", "acme"]


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulated]:
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
    with on_socket() as emu:
        rt = Runtime(Settings())
        rt.migrate()
        with rt.db.begin() as s:
            connected_tenant(s, rt, emu, connection="demo")
        rt.close()
        yield emu


def run(app: Any, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


def ok_json(app: Any, *args: str) -> Any:
    result = run(app, *args, *COMMON, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.output)


def test_create_get_update_upsert_delete(live: Emulated) -> None:
    created = ok_json(records_cli.app, "create", "Invoice__c", "Amount__c=12.5", "Paid__c=true")
    stored = live.org.get("Invoice__c", created["id"])
    assert stored["Amount__c"] == 12.5 and stored["Paid__c"] is True

    body = '{"Name": "Acme", "External_Id__c": "A-1"}'
    account = ok_json(records_cli.app, "create", "Account", "--json-body", body)
    got = ok_json(records_cli.app, "get", "Account", account["id"], "--fields", "Name")
    assert got["Name"] == "Acme" and "attributes" not in got and "Phone" not in got

    now = ok_json(records_cli.app, "update", "Account", "A-1", "--by", "External_Id__c", "Phone=555")
    assert now["Id"] == account["id"] and now["Phone"] == "555" and now["Name"] == "Acme"
    assert live.org.get("Account", account["id"])["Phone"] == "555"
    ok_json(records_cli.app, "update", "Account", account["id"], "Phone=")
    assert live.org.get("Account", account["id"])["Phone"] is None

    up = ok_json(records_cli.app, "upsert", "Account", "A-2", "--by", "External_Id__c", "Name=B")
    assert up["created"] is True
    again = ok_json(records_cli.app, "upsert", "Account", "A-2", "--by", "External_Id__c", "Name=C")
    assert again == {"id": up["id"], "created": False}

    case = ok_json(records_cli.app, "create", "Case", "Subject=Help")
    number = live.org.get("Case", case["id"])["CaseNumber"]
    found = ok_json(
        records_cli.app, "get", "Case", number, "--by", "CaseNumber", "--fields", "Subject"
    )
    assert found["Id"] == case["id"] and found["Subject"] == "Help"

    result = run(records_cli.app, "delete", "Account", up["id"], *COMMON)
    assert result.exit_code == 0 and "deleted Account" in result.output
    assert live.org.count("Account") == 1


def test_cli_errors(live: Emulated) -> None:
    result = run(records_cli.app, "get", "Case", "1", "--by", "Subject", *COMMON)
    assert isinstance(result.exception, InvalidInput)
    assert "valid lookup fields: Id, CaseNumber" in str(result.exception.details)
    result = run(records_cli.app, "create", "Account", "Name", *COMMON)
    assert isinstance(result.exception, InvalidInput)
    result = run(records_cli.app, "create", "Nope__c", "Name=x", *COMMON)
    assert isinstance(result.exception, NotFound) and "Nope__c" in result.exception.message
    result = run(objects_cli.app, "fields", "Account", "--for", "delete", *COMMON)
    assert isinstance(result.exception, InvalidInput)


def test_objects_list_and_fields(live: Emulated) -> None:
    found = ok_json(objects_cli.app, "list", "--search", "invoice")
    assert [o["name"] for o in found] == ["Invoice__c"]
    fields = ok_json(objects_cli.app, "fields", "Contact", "--for", "create")
    assert [f["name"] for f in fields if f["required"]] == ["LastName"]
    table = run(objects_cli.app, "fields", "Contact", "--for", "create", *COMMON)
    assert table.exit_code == 0 and "LastName *" in table.output
    assert "required on create" in table.output
