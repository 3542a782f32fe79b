"""`forcebridge demo` end to end, in-process: four integrations, then only the changes sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from forcebridge.cli import app
from forcebridge.cli.output import console
from forcebridge.demo.extras import EVENTS_NAME, FORM_NAME
from forcebridge.demo.integrations import INTEGRATIONS
from forcebridge.runtime import Runtime
from forcebridge.settings import Settings
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run

CHANGES = 3


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
    monkeypatch.setattr(console, "width", 200)  # whole table rows, whatever the terminal
    return tmp_path / "data"


def _runs(data_dir: Path) -> dict[str, list[Run]]:
    rt = Runtime(Settings(data_dir=data_dir))
    try:
        with rt.db.begin() as s:
            by_name: dict[str, list[Run]] = {}
            for integration in s.scalars(select(Integration)):
                runs = s.scalars(
                    select(Run).where(Run.integration_id == integration.id)
                    .order_by(Run.started_at)
                ).all()
                by_name[integration.name] = list(runs)
            s.expunge_all()
            return by_name
    finally:
        rt.close()


def test_demo_syncs_four_integrations_then_only_the_changed_rows(data_dir: Path) -> None:
    # run twice: a second `make demo` meets a fresh org, so its integrations start over
    # (created again, not "unchanged" against the state of the first demo)
    for changes in (1, CHANGES):
        result = CliRunner().invoke(app, ["demo", "--changes", str(changes)])
        assert result.exit_code == 0, (result.output, result.exception)
    out = result.output
    for item in INTEGRATIONS:
        assert item.name in out
    assert "First run" in out and "Second run" in out
    assert f"sent only the {4 * CHANGES} changed records" in out
    assert "Account describe" in out  # the connection part still shows

    # the later steps (forms, event publishing): a Case from the form, 3 events at the Apex
    assert "Inbound form Support cases" in out and "→ created Case 500" in out
    assert "Case read back by CaseNumber" in out and "Invoice INV-1001 charged twice" in out
    assert "Account updated by External_Id__c = SUPPORT-0001" in out and "+1 555 0199" in out
    assert "3 delivered, 3 events received" in out and "acct-2" in out

    runs = _runs(data_dir)
    assert sorted(runs) == sorted([i.name for i in INTEGRATIONS] + [FORM_NAME, EVENTS_NAME])
    assert runs[FORM_NAME] == runs[EVENTS_NAME] == []  # no runs: posts and events, not syncs
    for item in INTEGRATIONS:
        first, second = runs[item.name]
        assert first.status == second.status == "succeeded"
        assert first.created == first.read > 0 and first.failed == 0
        assert (second.created, second.updated, second.failed) == (0, CHANGES, 0)
        assert second.unchanged == first.read - CHANGES
        assert second.api_calls < first.api_calls
