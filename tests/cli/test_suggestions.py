"""Every command the CLI suggests runs as printed: pasted from the output and run."""

from __future__ import annotations

import shlex

import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.demo import next_steps
from forcebridge.runtime import Runtime
from forcebridge.settings import Settings
from tests.cli.conftest import World


def _suggested(text: str) -> list[list[str]]:
    """The `forcebridge ...` lines of an output, as argv (without `forcebridge`)."""
    found = []
    for line in text.splitlines():
        words = shlex.split(line.strip()) if line.strip().startswith("forcebridge ") else []
        if words:
            found.append(words[1:])
    return found


def test_suggestions_in_listings_run_as_printed(world: World) -> None:
    outputs = [
        world.cli("runs", "show", world.run_id).out,
        world.cli("runs", "list", "Billing accounts", "--limit", "1").err,
        world.cli("events", "list", "--limit", "1", "--status", "all").err,
        world.cli("forms", "url", "Support cases").out,
    ]
    pasted = [argv for text in outputs for argv in _suggested(text)]
    assert [argv[:2] for argv in pasted] == [["events", "list"], ["runs", "list"],
                                             ["events", "list"], ["forms", "rotate-secret"]]
    assert all("--tenant" in argv for argv in pasted)
    for argv in pasted:
        shown = world.cli(*argv, width=None)
        assert shown.out.strip(), argv


def test_the_demo_closing_suggestions_lead_somewhere_that_works(world: World) -> None:
    printed = world.demo_output[world.demo_output.index("Next") :]
    for step in next_steps.closing("demo", world.api_key, "http://127.0.0.1:8000"):
        assert step.line in printed
        if step.argv and not step.serves:
            assert _suggested(printed) and list(step.argv) in _suggested(printed)
            assert world.cli(*step.argv, width=None).out.strip(), step
        elif step.serves:
            # a server: what it serves works (the REST API over this store), its help runs
            assert world.cli(*step.argv, "--help", width=None).code == 0
    rt = Runtime(Settings(data_dir=world.data_dir, log_level="WARNING"))
    try:
        with TestClient(create_app(rt)) as api:
            listed = api.get("/api/v1/integrations",
                             headers={"Authorization": f"Bearer {world.api_key}"})
    finally:
        rt.close()
    assert listed.status_code == 200 and len(listed.json()) >= 4
    assert "serve --no-scheduler" in printed  # its integrations are scheduled, its org gone


def test_default_tenant_is_the_only_one_or_the_setting(world: World) -> None:
    assert world.cli("integrations", "list", width=None).out.count("Billing") >= 4
    world.cli("tenants", "create", "globex")
    try:
        refused = world.cli("integrations", "list", ok=False)
        assert refused.code == 1 and "--tenant" in refused.err and "FORCEBRIDGE_TENANT" in refused.err
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FORCEBRIDGE_TENANT", "globex")
            assert "Billing" not in world.cli("integrations", "list", width=None).out
    finally:
        world.cli("tenants", "delete", "globex", "--yes")
