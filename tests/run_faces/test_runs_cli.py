"""`forcebridge run`, `plan` and `events retry` end to end: the CLI's own runtime on the test's
database, the emulated org on a real socket (the CLI builds its client like in production)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner, Result

from forcebridge.cli import app as root
from forcebridge.cli import events as events_cli
from forcebridge.cli.runs import ProgressBar
from forcebridge.runs import run_integration
from forcebridge.runtime import Runtime
from forcebridge.services import pushed
from forcebridge.settings import Settings
from forcebridge.store.integrations import Integration
from tests.emulated_org import connected_tenant
from tests.run_faces.conftest import (
    Org,
    cursor_source,
    invoice_mapping,
    make_integration,
    push_config,
)
from tests.salesforce.emulated import on_socket

T = ["--tenant", "acme"]


@pytest.fixture
def live(runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FORCEBRIDGE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
    with on_socket() as emu:
        with runtime.db.begin() as s:
            tenant_id = connected_tenant(s, runtime, emu)
        yield Org(runtime, emu, tenant_id, {})


def invoke(*args: str) -> Result:
    return CliRunner().invoke(root, list(args), catch_exceptions=True)


def _push(org: Org, name: str, records: list[dict[str, Any]]) -> None:
    with org.rt.db.begin() as s:
        integration = s.query(Integration).filter_by(name=name).one()
        pushed.push(s, integration, records)


def test_run_shows_a_summary_and_exits_by_status(live: Org) -> None:
    make_integration(live)
    _push(live, "invoices", [{"number": f"INV-{i}", "amount": "1"} for i in range(5)])
    result = invoke("run", "invoices", *T)
    assert result.exit_code == 0, (result.output, result.exception)
    out = result.stdout
    assert "succeeded" in out and "created" in out and "API calls" in out
    assert len(list(live.emu.org.iter_records("Invoice__c"))) == 5

    _push(live, "invoices", [{"number": "INV-1", "amount": "2"}])
    as_json = invoke("run", "invoices", *T, "--json")
    assert as_json.exit_code == 0
    run = json.loads(as_json.stdout)
    assert run["trigger"] == "manual"
    assert (run["counts"]["updated"], run["counts"]["unchanged"]) == (1, 4)

    listed = invoke("runs", "list", "invoices", *T, "--json")
    assert json.loads(listed.stdout)[0]["id"] == run["id"]


def test_a_run_that_wrote_nothing_exits_1_and_events_retry_resends(live: Org) -> None:
    config = push_config()
    config["mapping"]["mappings"].append(
        {"field": "Account__c", "column": "account",
         "transform": {"type": "reference", "external_id_field": "External_Id__c"}})
    make_integration(live, config=config)
    _push(live, "invoices", [{"number": "INV-1", "amount": "1", "account": "A-1"}])
    result = invoke("run", "invoices", *T)
    assert result.exit_code == 1 and "failed" in result.stdout
    assert "no record was written" in " ".join(result.stdout.split())
    assert "forcebridge events list --run" in result.stdout
    assert invoke("run", "invoices", *T).exit_code == 1  # rejected again: counted, not added
    [event] = json.loads(invoke("events", "list", *T, "--json").stdout)
    assert event["occurrences"] == 2 and event["last_seen_at"]
    table = invoke("events", "list", *T).stdout
    header = next(line for line in table.splitlines() if "record_key" in line)
    row = next(line for line in table.splitlines() if "INV-1" in line)
    seen_at = header.index(" seen ") + 1  # columns are aligned under their headers
    assert row[seen_at:].split()[0] == "2"

    live.emu.org.insert("Account", {"Name": "Acme", "External_Id__c": "A-1"})
    retried = CliRunner().invoke(events_cli.app, ["retry", event["id"][:12], *T, "--json"])
    assert retried.exit_code == 0, (retried.output, retried.exception)
    assert json.loads(retried.stdout)["trigger"] == "retry"
    assert json.loads(invoke("events", "list", *T, "--json").stdout) == []
    shown = json.loads(invoke("events", "show", event["id"], *T, "--json").stdout)
    assert shown["status"] == "retried" and shown["resolved_by"] == "cli"


def test_plan_prints_problems_and_exits_1(live: Org) -> None:
    make_integration(live)
    _push(live, "invoices", [{"number": "INV-1", "amount": "1"}])
    ok = invoke("plan", "invoices", *T)
    assert ok.exit_code == 0, (ok.output, ok.exception)
    assert "no problems" in ok.stdout and "create" in ok.stdout
    assert "records a run would change" in ok.stdout
    assert re.search(r"INV-1\s+create\s+Invoice_Number__c='INV-1', Amount__c=1\.0", ok.stdout)
    assert max(len(line) for line in ok.stdout.splitlines()) <= 80
    planned = json.loads(invoke("plan", "invoices", *T, "--json").stdout)
    assert planned["would_create"] == 1 and planned["records"][0]["key"] == "INV-1"
    assert "records a run" not in invoke("plan", "invoices", *T, "--records", "0").stdout
    assert "API budget: " in ok.stdout and "calls used" in ok.stdout

    make_integration(live, "broken", push_config(mapping={
        **invoice_mapping(),
        "mappings": [{"field": "Invoice_Number__c", "column": "number"},
                     {"field": "Nope__c", "column": "amount"}],
    }))
    bad = invoke("plan", "broken", *T)
    assert bad.exit_code == 1 and "Nope__c" in bad.stdout and "problem" in bad.stdout
    assert list(live.emu.org.iter_records("Invoice__c")) == []


def test_refused_runs_name_the_reason(live: Org) -> None:
    make_integration(live, "loose", connection=None)
    result = invoke("run", "loose", *T)
    assert result.exit_code != 0 and "not connected" in str(result.exception)
    result = invoke("run", "nope", *T)
    assert result.exit_code != 0 and "nope" in str(result.exception)


def test_progress_bar_follows_a_run(live: Org) -> None:
    iid = make_integration(live, config=push_config(batch_size=10))
    _push(live, "invoices", [{"number": f"INV-{i:03}", "amount": "1"} for i in range(35)])
    live.rt.salesforce_transport = None  # the socket, as the CLI reaches it
    progress = Progress(console=Console(file=io.StringIO(), force_terminal=True, width=120))
    bar = ProgressBar(progress, "invoices")
    seen: list[tuple[float, str]] = []
    original = bar.advance

    def advance(read: int, counts: dict[str, int]) -> None:
        original(read, counts)
        assert bar.task is not None
        task = progress.tasks[0]
        seen.append((task.completed, task.fields["counts"]))

    bar.advance = advance  # type: ignore[method-assign]
    with progress:
        anyio.run(lambda: run_integration(live.rt, live.tenant_id, iid, progress=bar))
    assert progress.tasks[0].total is None  # a push source does not know its size
    assert [c for c, _ in seen][:4] == [10, 20, 30, 35]
    created = [int(text.split()[1]) for _, text in seen]
    assert created == sorted(created) and created[-1] <= 35  # writes may lag the reading
    assert re.fullmatch(r"created \d+  updated 0  unchanged 0  failed 0", seen[-1][1])


def test_run_full_reads_past_the_cursor(live: Org, tmp_path: Path) -> None:
    db = tmp_path / "billing.db"
    source = cursor_source(live, db, 3)
    make_integration(live, config={"source": source, "mapping": invoice_mapping()})
    assert invoke("run", "invoices", *T, "--json").exit_code == 0
    incremental = json.loads(invoke("run", "invoices", *T, "--json").stdout)
    full = json.loads(invoke("run", "invoices", *T, "--json", "--full").stdout)
    assert (incremental["counts"]["read"], full["counts"]["read"]) == (1, 3)
    assert "--full" in invoke("run", "--help").stdout


def test_run_reconcile_repairs_the_org_and_shows_what_it_found(live: Org) -> None:
    make_integration(live)  # a push source: it holds every record, so it reconciles too
    _push(live, "invoices", [{"number": f"INV-{i}", "amount": "1"} for i in range(4)])
    assert invoke("run", "invoices", *T).exit_code == 0
    [gone] = [r for r in live.emu.org.iter_records("Invoice__c")
              if r["Invoice_Number__c"] == "INV-2"]
    live.emu.org.delete("Invoice__c", gone["Id"])
    plan = invoke("plan", "invoices", *T)
    assert "a run with --reconcile: about" in plan.stdout
    assert f"org {live.emu.org.config.org_id}" in plan.stdout
    result = invoke("run", "invoices", *T, "--reconcile")
    assert result.exit_code == 0, (result.output, result.exception)
    assert re.search(r"missing\W+1\b", result.stdout) and "relinked" in result.stdout
    assert len(list(live.emu.org.iter_records("Invoice__c"))) == 4
    shown = json.loads(invoke("run", "invoices", *T, "--json").stdout)
    assert shown["reconciliation"] is None  # a run not asked to reconcile does not
    assert "--reconcile" in invoke("run", "--help").stdout
