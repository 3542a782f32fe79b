"""`forcebridge alerts ...` as a user runs it: a real process, at 80 columns, with --json, and
a test message to a real HTTP receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.alerts.receiver import receiver

_MAIN = """
import sys
from forcebridge import cli
sys.argv = ["forcebridge", *sys.argv[1:]]
cli.main()
"""

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
    env.update({"FORCEBRIDGE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "80",
                "NO_COLOR": "1", "FORCEBRIDGE_ALERT_ALLOWED_HOSTS": "127.0.0.1"})

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-c", _MAIN, *args], env=env,
                              capture_output=True, text=True, timeout=120)
        if ok:
            assert proc.returncode == 0, proc.stderr + proc.stdout
        return proc

    return run


def test_add_list_test_show_remove(cli: Cli) -> None:
    cli("tenants", "create", "Acme")
    with receiver("/services/T9/B9/hidden") as slack, receiver() as hook:
        added = json.loads(cli("alerts", "add", "on-call Slack", "-k", "slack", "--url",
                               slack.url, "-r", "failed_runs", "--failed-runs", "5", "--json"
                               ).stdout)
        assert (added["kind"], added["rules"], added["failed_runs"]) == (
            "slack", ["failed_runs"], 5)
        shown = cli("alerts", "add", "pager", "-k", "webhook", "--url", hook.url).stdout
        assert "fbwh_" in shown and "not shown again" in shown
        cli("alerts", "add", "mail", "-k", "email", "--to", "ops@acme.example")

        listing = cli("alerts", "list").stdout  # 80 columns: tests/cli/test_listings_fit.py
        for word in ("on-call Slack", "pager", "mail", "ops@acme.example", "failed_runs"):
            assert word in listing, listing
        assert "hidden" not in listing

        assert cli("alerts", "test", "on-call Slack").stdout.strip() == \
            "test message sent to on-call Slack"
        assert len(slack.received) == 1 and "Test" in slack.received[0].json["text"]
        tested = json.loads(cli("alerts", "test", "pager", "--json").stdout)
        assert tested == {"status": "sent", "attempts": 1, "error": None}
        assert hook.received[0].headers["x-forcebridge-signature"].startswith("t=")

    failed = cli("alerts", "test", "mail", ok=False)
    assert failed.returncode == 1 and "no SMTP server is configured" in failed.stdout

    bad = cli("alerts", "add", "x", "-k", "slack", ok=False)
    assert bad.returncode != 0 and "url" in (bad.stdout + bad.stderr)
    bad_rule = cli("alerts", "add", "x", "-k", "slack", "--url", "https://h.example/a",
                   "-r", "sometimes", ok=False)
    assert "rules.0" in bad_rule.stdout + bad_rule.stderr

    cli("alerts", "update", "mail", "--disable")
    shown_json = json.loads(cli("alerts", "show", "mail", "--json").stdout)
    assert shown_json["enabled"] is False and shown_json["incidents"] == []
    cli("alerts", "remove", "mail")
    names = [c["name"] for c in json.loads(cli("alerts", "list", "--json").stdout)]
    assert names == ["on-call Slack", "pager"]
    help_text = cli("alerts", "--help").stdout
    assert "rules, incidents, a test message" in help_text
    assert "Send a test message now" in help_text
