"""Deleting a connection that integrations use: refused (listing them) unless forced; forced,
each integration is disconnected, gets an event, and its notification users an email. The org
is the emulator on a socket, so the integrations really ran through the connection first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from forcebridge.api import create_app
from forcebridge.cli import app as cli
from forcebridge.errors import Conflict
from forcebridge.runs import run_integration
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, audit, integrations, users
from forcebridge.services.connection_deletion import ConnectionInUse
from forcebridge.services.integrations import IntegrationInput
from forcebridge.settings import Settings
from forcebridge.store.runs import Run
from forcebridge.store.types import utcnow
from tests.conftest import bearer
from tests.emulated_org import connected_tenant
from tests.granted import grant_files_in
from tests.mail import Inbox, smtp_server
from tests.runs.conftest import invoice_config, invoice_rows, write_csv
from tests.salesforce.emulated import on_socket

API = "/api/v1"


@dataclass
class Used:
    """Tenant acme: connection 'org' used by 'invoices' and 'payments'; 'spare' unconnected.
    ops@ is notified of both, billing@ of payments only."""

    rt: Runtime
    tenant_id: str
    ids: dict[str, str]
    inbox: Inbox


@pytest.fixture
def used(runtime: Runtime, tmp_path: Path) -> Iterator[Used]:
    with on_socket() as emu, smtp_server() as (inbox, port):
        runtime.settings.smtp_host, runtime.settings.smtp_port = "127.0.0.1", port
        ids: dict[str, str] = {}
        with runtime.db.begin() as s:
            tenant_id = connected_tenant(s, runtime, emu, connection="org")
            ops = users.create(s, tenant_id, "Ops", "ops@acme.example").id
            billing = users.create(s, tenant_id, "Billing", "billing@acme.example").id
            users.create(s, tenant_id, "Nobody", "nobody@acme.example")
            grant_files_in(s, runtime, tenant_id, tmp_path)
            for name, notify, conn in (("invoices", [ops], "org"),
                                       ("payments", [ops, billing], "org"),
                                       ("spare", [ops], None)):
                csv = tmp_path / f"{name}.csv"
                write_csv(csv, invoice_rows(2, start=len(ids) * 10))
                ids[name] = integrations.create(s, runtime.vault, tenant_id, IntegrationInput(
                    name=name, kind="entity_sync", connection=conn,
                    config=invoice_config(csv), notify=notify)).id
        for name in ("invoices", "payments"):  # both really work through the connection
            run_id = anyio.run(lambda n=name: run_integration(runtime, tenant_id, n))
            with runtime.db.session() as s:
                assert s.get(Run, run_id).status == "succeeded"  # type: ignore[union-attr]
        yield Used(runtime, tenant_id, ids, inbox)


@pytest.fixture
def api(used: Used) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with used.rt.db.begin() as s:
        key = api_keys.create(s, used.tenant_id, "ops").secret
    with TestClient(create_app(used.rt), raise_server_exceptions=False) as client:
        yield client, bearer(key)


def test_refused_while_integrations_use_it_naming_them(
    used: Used, api: tuple[TestClient, dict[str, str]]
) -> None:
    client, h = api
    refused = client.delete(f"{API}/connections/org", headers=h)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "connection_in_use"
    assert "invoices" in error["message"] and "payments" in error["message"]
    assert "spare" not in error["message"]
    assert [(d["integration"], d["id"]) for d in error["details"]] == [
        ("invoices", used.ids["invoices"]), ("payments", used.ids["payments"])]
    assert all(used.ids[d["integration"]] in d["reason"] for d in error["details"])
    # nothing changed: the connection, the integrations' link, no event, no mail
    assert client.get(f"{API}/connections/org", headers=h).status_code == 200
    assert client.get(f"{API}/integrations/invoices", headers=h).json()["connected"] is True
    assert client.get(f"{API}/events", headers=h).json()["items"] == []
    assert used.inbox.messages == []


def test_forced_disconnects_with_an_event_each_and_one_mail_per_person(
    used: Used, api: tuple[TestClient, dict[str, str]]
) -> None:
    client, h = api
    gone = client.delete(f"{API}/connections/org", params={"force": "true"}, headers=h)
    assert gone.status_code == 204, gone.text
    assert client.get(f"{API}/connections/org", headers=h).status_code == 404
    for name in ("invoices", "payments"):
        shown = client.get(f"{API}/integrations/{name}", headers=h).json()
        assert (shown["connected"], shown["connection"]) == (False, None)
        [event] = client.get(f"{API}/events", params={"integration": name},
                             headers=h).json()["items"]
        assert (event["kind"], event["error_code"], event["status"]) == (
            "connection_deleted", "CONNECTION_DELETED", "open")
        assert "'org'" in event["message"] and "was deleted" in event["message"]
    assert client.get(f"{API}/events", params={"integration": "spare"},
                      headers=h).json()["items"] == []
    assert len(used.inbox.messages) == 2  # one per person, however many integrations
    mails = {m["To"]: m for m in used.inbox.messages}
    assert sorted(mails) == ["billing@acme.example", "ops@acme.example"]
    ops_body = mails["ops@acme.example"].get_payload()
    assert "invoices" in ops_body and "payments" in ops_body and "'org'" in ops_body
    assert "payments" in mails["billing@acme.example"].get_payload()
    assert "invoices" not in mails["billing@acme.example"].get_payload()
    with pytest.raises(Conflict, match="not connected"):  # and they no longer run
        anyio.run(lambda: run_integration(used.rt, used.tenant_id, "invoices"))
    with used.rt.db.session() as s:
        [entry] = [e for e in audit.list_entries(s, used.tenant_id)
                   if e.action == "connection.delete"]
    assert entry.detail["forced"] is True
    assert sorted(entry.detail["integrations"]) == sorted(
        [used.ids["invoices"], used.ids["payments"]])


def test_a_running_integration_refuses_even_a_forced_delete(
    used: Used, api: tuple[TestClient, dict[str, str]]
) -> None:
    client, h = api
    with used.rt.db.begin() as s:  # a run in progress, alive: its heartbeat is fresh
        run = Run(tenant_id=used.tenant_id, integration_id=used.ids["invoices"],
                  trigger="manual", status="running", started_at=utcnow(),
                  heartbeat_at=utcnow())
        s.add(run)
        s.flush()
        integrations.get(s, used.tenant_id, "invoices").running_run_id = run.id
    refused = client.delete(f"{API}/connections/org", params={"force": "true"}, headers=h)
    assert refused.status_code == 409 and "running" in refused.json()["error"]["message"]
    assert client.get(f"{API}/integrations/payments", headers=h).json()["connected"] is True


def test_cli_refuses_then_forces(used: Used, settings: Settings,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FORCEBRIDGE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("FORCEBRIDGE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FORCEBRIDGE_SMTP_PORT", str(used.rt.settings.smtp_port))
    runner = CliRunner()
    refused = runner.invoke(cli, ["connections", "delete", "org", "--tenant", "acme"])
    assert isinstance(refused.exception, ConnectionInUse)  # main() prints it, exit code 1
    said = " ".join([refused.exception.message] + [d["reason"] for d in refused.exception.details])
    assert "invoices" in said and "payments" in said and used.ids["invoices"] in said
    assert "--force" in runner.invoke(cli, ["connections", "delete", "--help"]).stdout

    forced = runner.invoke(cli, ["connections", "delete", "org", "--tenant", "acme", "--force"])
    assert forced.exit_code == 0, (forced.output, forced.exception)
    assert "disconnected integration invoices" in forced.stdout
    listed = runner.invoke(cli, ["events", "list", "--tenant", "acme", "--json"])
    assert sorted(e["integration"] for e in json.loads(listed.stdout)) == [
        "invoices", "payments"]
    assert len(used.inbox.messages) == 2
