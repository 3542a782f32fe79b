"""`forcebridge integrations ...`, `apply` and `export` against the emulator on a real socket."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from forcebridge.cli import declarative
from forcebridge.cli import integrations as integrations_cli
from forcebridge.cli import sources as sources_cli
from forcebridge.errors import ForcebridgeError, InvalidInput, NotFound
from forcebridge.runtime import Runtime
from forcebridge.services import users
from forcebridge.settings import Settings
from forcebridge.sync.plan import PlanError
from tests.emulated_org import connected_tenant
from tests.granted import grant_files
from tests.integrations.conftest import invoice_config
from tests.salesforce.emulated import Emulated, on_socket

T = ["--tenant", "acme"]


@dataclass
class Live:
    emu: Emulated
    files: Path


@pytest.fixture
def live(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORCEBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
    files = tmp_path / "files"
    files.mkdir()
    (files / "invoices.csv").write_text("number,account,amount,status,issued\n")
    with on_socket() as emu:
        rt = Runtime(Settings())
        rt.migrate()
        with rt.db.begin() as s:
            tenant_id = connected_tenant(s, rt, emu)
            users.create(s, tenant_id, "Ops", "ops@acme.example")
        grant_files(rt, tenant_id, files)
        rt.close()
        yield Live(emu, files)


def run(command: Any, *args: str) -> Result:
    app = command if isinstance(command, typer.Typer) else _single(command)
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


def _single(function: Any) -> typer.Typer:
    app = typer.Typer()
    app.command()(function)
    app.command("unused")(lambda: None)  # two commands: the first is invoked by name
    return app


def ok(command: Any, *args: str) -> Result:
    result = run(command, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def ok_json(*args: str) -> Any:
    return json.loads(ok(integrations_cli.app, *args, *T, "--json").output)


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def failure(result: Result, kind: type[ForcebridgeError]) -> ForcebridgeError:
    assert isinstance(result.exception, kind), (result.output, result.exception)
    return result.exception


def test_create_show_list_update_delete(live: Live) -> None:
    config = write(live.files / "invoices.yaml", invoice_config(live.files))
    made = ok_json("create", "--name", "invoices", "--kind", "entity_sync", "--connection",
                   "demo org", "--config-file", str(config), "--schedule", "*/30 * * * *",
                   "--notify", "ops@acme.example")
    assert made["connected"] is True and made["schedule"] == "*/30 * * * *"
    assert made["notify"] == ["ops@acme.example"]
    as_json_file = live.files / "form.json"
    as_json_file.write_text(json.dumps({"object": "Lead"}))
    ok_json("create", "-n", "leads", "-k", "inbound_form", "-f", str(as_json_file))

    assert [i["name"] for i in ok_json("list")] == ["invoices", "leads"]
    assert [i["name"] for i in ok_json("list", "--kind", "inbound_form")] == ["leads"]
    table = ok(integrations_cli.app, "list", *T).output
    assert "Integrations of acme" in table
    shown = ok(integrations_cli.app, "show", "invoices", *T).output
    assert "Invoice__c" in shown and "demo org" in shown

    changed = ok_json("update", "invoices", "--name", "Invoices", "--schedule", "")
    assert changed["name"] == "Invoices" and changed["schedule"] is None
    assert ok_json("show", changed["id"])["name"] == "Invoices"
    result = ok(integrations_cli.app, "delete", "Invoices", *T)
    assert "deleted integration Invoices" in result.output
    failure(run(integrations_cli.app, "show", "Invoices", *T), NotFound)


def test_connect_disconnect_enable_disable(live: Live) -> None:
    config = write(live.files / "invoices.yaml", invoice_config(live.files))
    made = ok_json("create", "-n", "invoices", "-k", "entity_sync", "-f", str(config))
    assert made["connected"] is False
    assert ok_json("connect", "invoices", "demo org")["connected"] is True
    assert ok_json("disconnect", "invoices")["connected"] is False
    disabled = ok_json("disable", "invoices", "--reason", "org migration")
    assert disabled["enabled"] is False and disabled["disabled_reason"] == "org migration"
    enabled = ok_json("enable", "invoices")
    assert enabled["enabled"] is True and enabled["failure_streak"] == 0


def test_errors_name_the_field(live: Live) -> None:
    config = write(live.files / "invoices.yaml", invoice_config(live.files, mode="sideways"))
    bad = run(integrations_cli.app, "create", "-n", "x", "-k", "entity_sync", "-f", str(config),
              *T)
    assert failure(bad, InvalidInput).details[0]["field"] == "config.mode"
    not_yaml = live.files / "bad.yaml"
    not_yaml.write_text("source: [unclosed")
    bad = run(integrations_cli.app, "create", "-n", "x", "-k", "entity_sync", "-f", str(not_yaml),
              *T)
    assert failure(bad, InvalidInput).details[0]["field"] == "config_file"
    nope = run(integrations_cli.app, "connect", "x", "demo org", *T)
    failure(nope, NotFound)


def test_apply_and_export_round_trip(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    billing = live.files / "billing.db"
    with sqlite3.connect(billing) as conn:
        conn.execute("CREATE TABLE invoices (number TEXT, amount TEXT)")
    secret_url = f"sqlite:///{billing}"
    ok(sources_cli.app, "add", "billing", "--url", secret_url, "--grant", "acme")
    monkeypatch.setenv("BILLING_TABLE", "invoices")
    sql = invoice_config(live.files, source={
        "kind": "sql", "name": "billing", "table": "${BILLING_TABLE}", "key_column": "number"})
    document = {"integrations": [
        {"name": "invoices", "kind": "entity_sync", "connection": "demo org",
         "config": invoice_config(live.files), "notify": ["ops@acme.example"]},
        {"name": "billing db", "kind": "entity_sync", "config": sql},
    ]}
    path = write(live.files / "integrations.yaml", document)
    dry = ok(declarative.apply, "apply", "-f", str(path), *T, "--dry-run").output
    assert "would create" in dry and "Dry run" in dry
    applied = json.loads(ok(declarative.apply, "apply", "-f", str(path), *T, "--json").output)
    assert applied == [{"name": "invoices", "kind": "entity_sync", "action": "created"},
                       {"name": "billing db", "kind": "entity_sync", "action": "created"}]

    exported = live.files / "exported.yaml"
    ok(declarative.export, "export", *T, "--output", str(exported))
    text = exported.read_text()
    by_name = {i["name"]: i for i in yaml.safe_load(text)["integrations"]}
    written = by_name["billing db"]["config"]["source"]
    assert written == {"kind": "sql", "name": "billing", "table": "invoices",
                       "key_column": "number"}
    assert str(billing) not in text and "url" not in written  # the source's name, never a URL
    again = ok(declarative.apply, "apply", "-f", str(exported), *T).output
    assert again.count("unchanged") == 2
    only = ok(declarative.export, "export", *T, "--name", "invoices").output
    assert [i["name"] for i in yaml.safe_load(only)["integrations"]] == ["invoices"]

    monkeypatch.delenv("BILLING_TABLE")
    missing = run(declarative.apply, "apply", "-f", str(path), *T)
    assert failure(missing, InvalidInput).details == [{
        "field": "integrations[1].config.source.table",
        "reason": "environment variable BILLING_TABLE is not set"}]


def test_filters_and_columns_that_cannot_work_are_refused_at_save_by_cli_and_apply(
    live: Live,
) -> None:
    (live.files / "invoices.csv").write_text("number,account,amount,status,issued\n")
    no_account = invoice_config(live.files, filters={"restricted_account_ids": ["A-9"]})
    no_account["source"] = {**no_account["source"], "account_column": None}
    misspelled = invoice_config(live.files)
    misspelled["source"] = {**misspelled["source"], "account_column": "acount"}
    for config, kind, fields in [
        (no_account, InvalidInput, ["config.filters", "config.source.account_column"]),
        (misspelled, PlanError, ["source.account_column"]),
    ]:
        path = write(live.files / "config.yaml", config)
        for connection in ([], ["--connection", "demo org"]):
            bad = run(integrations_cli.app, "create", "-n", "x", "-k", "entity_sync", "-f",
                      str(path), *connection, *T)
            assert [d["field"] for d in failure(bad, kind).details] == fields
        document = write(live.files / "all.yaml", {"integrations": [
            {"name": "x", "kind": "entity_sync", "connection": "demo org", "config": config}]})
        bad = run(declarative.apply, "apply", "-f", str(document), *T)
        assert [d["field"] for d in failure(bad, kind).details] == [
            f"integrations[0].{f}" for f in fields]
    assert "source.account_column" in failure(bad, PlanError).details[0]["field"]
    assert "no account-id column 'acount'" in failure(bad, PlanError).details[0]["reason"]
