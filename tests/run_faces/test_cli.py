"""`forcebridge events ...` and `forcebridge runs ...`, invoked in-process on both databases."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from forcebridge.cli import events as events_cli
from forcebridge.cli import runs as runs_cli
from forcebridge.errors import InvalidInput, NotFound
from forcebridge.services import events
from forcebridge.settings import Settings
from forcebridge.store.integrations import Integration
from forcebridge.store.types import utcnow
from tests.run_faces.conftest import Org, add_run, make_integration

T = ["--tenant", "acme"]


@pytest.fixture
def cli(org: Org, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Org:
    """The CLI's own runtime sees the test's database and key."""
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FORCEBRIDGE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
    return org


def invoke(app: Any, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


def ok_json(app: Any, *args: str) -> Any:
    result = invoke(app, *args, *T, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def _events(org: Org, iid: str, run_id: str | None, n: int) -> list[str]:
    with org.rt.db.begin() as s:
        integration = s.get(Integration, iid)
        assert integration is not None
        return [
            events.record(
                s, integration=integration, run_id=run_id, kind="record_rejected",
                message=f"Amount: bad value\nsecond line {i}", record_key=f"INV-{i}",
                error_code="INVALID_TYPE_ON_FIELD_IN_RECORD", fields=["Amount__c"],
                payload={"Invoice_Number__c": f"INV-{i}", "Amount__c": "abc",
                         "Nested__c": {"deep": [1, 2]}, "Password__c": "pw"},
            ).id
            for i in range(n)
        ]


def test_events_list_show_resolve(cli: Org) -> None:
    iid = make_integration(cli)
    run_id = add_run(cli, iid, failed=3)
    ids = _events(cli, iid, run_id, 3)

    listed = ok_json(events_cli.app, "list", "--integration", "invoices")
    assert [e["id"] for e in listed] == ids[::-1]
    table = invoke(events_cli.app, "list", *T)
    assert table.exit_code == 0 and "INV-2" in table.stdout and "second line" not in table.stdout
    paged = invoke(events_cli.app, "list", "--limit", "2", *T, "--json")
    assert len(json.loads(paged.stdout)) == 2 and "--cursor" in paged.stderr
    assert ok_json(events_cli.app, "list", "--run", run_id, "--kind", "run_failed") == []

    shown = invoke(events_cli.app, "show", ids[0], *T)
    assert shown.exit_code == 0, shown.output
    assert "INVALID_TYPE_ON_FIELD_IN_RECORD" in shown.stdout and '"deep"' in shown.stdout
    assert '"pw"' not in shown.stdout and '"Password__c": "***"' in shown.stdout
    assert ok_json(events_cli.app, "show", ids[0])["payload"]["Amount__c"] == "abc"

    done = ok_json(events_cli.app, "resolve", ids[0], ids[1])
    assert [e["status"] for e in done] == ["resolved", "resolved"]
    assert [e["resolved_by"] for e in done] == ["cli", "cli"]
    assert [e["id"] for e in ok_json(events_cli.app, "list")] == [ids[2]]
    assert len(ok_json(events_cli.app, "list", "--status", "resolved")) == 2
    assert len(ok_json(events_cli.app, "list", "--status", "all")) == 3


def test_events_errors(cli: Org) -> None:
    iid = make_integration(cli)
    [event_id] = _events(cli, iid, None, 1)
    result = invoke(events_cli.app, "show", "nope", *T)
    assert isinstance(result.exception, NotFound)
    result = invoke(events_cli.app, "resolve", event_id, "nope", *T)
    assert isinstance(result.exception, NotFound)
    assert result.exception.details == [{"field": "ids.1", "reason": "no event 'nope'"}]
    result = invoke(events_cli.app, "list", "--status", "closed", *T)
    assert isinstance(result.exception, InvalidInput)
    assert ok_json(events_cli.app, "show", event_id)["status"] == "open"


def test_runs_list_and_show(cli: Org) -> None:
    iid = make_integration(cli)
    start = utcnow() - timedelta(hours=1)
    ids = [add_run(cli, iid, started=start + timedelta(minutes=i), read=5, created=i,
                   api_calls=2) for i in range(3)]
    failed = add_run(cli, iid, status="failed", trigger="schedule")
    listed = ok_json(runs_cli.app, "list", "invoices")
    assert [r["id"] for r in listed] == [failed, *ids[::-1]]
    table = invoke(runs_cli.app, "list", "invoices", *T)
    assert table.exit_code == 0 and failed[:12] in table.stdout and "failed" in table.stdout
    assert failed not in table.stdout  # short ids in tables ...
    assert ok_json(runs_cli.app, "show", failed[:12])["trigger"] == "schedule"  # ... work here
    shown = ok_json(runs_cli.app, "show", ids[1])
    assert shown["counts"]["created"] == 1 and shown["api_calls"] == 2
    text = invoke(runs_cli.app, "show", ids[1], *T)
    assert text.exit_code == 0 and "succeeded" in text.stdout and "API calls" in text.stdout
    result = invoke(runs_cli.app, "show", "nope", *T)
    assert isinstance(result.exception, NotFound)
    result = invoke(runs_cli.app, "list", "nope", *T)
    assert isinstance(result.exception, NotFound)
