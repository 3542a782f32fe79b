"""Every listing at 80 columns and through a pipe: no id, URL, API name or status cut.

The piped output is complete by construction (plain columns, never wrapped), so each word it
holds must also appear whole in the 80-column output, and both must hold what `--json` says.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.cli.conftest import ANSI, World

BOX = set("─│╭╮╰╯┃━")


def _listings(world: World) -> list[tuple[str, ...]]:
    form = "Support cases"
    return [
        ("tenants", "list"),
        ("users", "list"),
        ("api-keys", "list"),
        ("api-clients", "list"),
        ("connections", "list"),
        ("connections", "show", "demo org"),
        ("integrations", "list"),
        ("integrations", "show", "Billing accounts"),
        ("runs", "list", "Billing accounts"),
        ("runs", "show", world.run_id),
        ("events", "list"),
        ("events", "show", world.json("events", "list")[0]["id"]),
        ("forms", "url", form),
        ("forms", "posts", form),
        ("forms", "fields", form),
        ("sources", "list"),
        ("sources", "show", world.json("sources", "list")[0]["name"]),
        ("outbox", "list", "Billing events"),
        ("alerts", "list"),
        ("alerts", "show", "on-call Slack"),
        ("objects", "list", "-c", "demo org", "--search", "acme"),
        ("objects", "fields", "Account", "-c", "demo org"),
        ("records", "get", "Account", "ACC-00001", "--by", "acme__Account_Id__c",
         "-c", "demo org"),
    ]  # fmt: skip


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\s,]+", text))


def _values(value: Any) -> list[str]:
    """The words of ids, names, URLs and statuses in a JSON answer (dates are formatted)."""
    if isinstance(value, dict):
        return [w for v in value.values() for w in _values(v)]
    if isinstance(value, list):
        return [w for v in value for w in _values(v)]
    if isinstance(value, str) and not re.match(r"\d{4}-\d\d-\d\d[T ]", value):
        return [w.strip(",") for w in value.split()]
    return []


@pytest.fixture(scope="module")
def api_client(world: World) -> str:
    made = world.json("api-clients", "create", "Salesforce prod", "-s", "records:write")
    return str(made["client_id"])


@pytest.fixture(scope="module")
def alert_channels(world: World) -> None:
    world.cli("alerts", "add", "on-call Slack", "-k", "slack", "--url",
              "https://hooks.slack.example/services/T0/B0/x", "-r", "failed_runs")
    world.cli("alerts", "add", "operations mail", "-k", "email", "--to", "ops@acme.example",
              "--to", "oncall@acme.example")


def test_every_listing_fits_80_columns_and_pipes_plain(
    world: World, api_client: str, alert_channels: None
) -> None:
    for command in _listings(world):
        wide = world.cli(*command).out
        piped = world.cli(*command, width=None).out
        assert piped.strip() and not BOX & set(piped), command
        assert "…" not in wide + piped, command
        too_long = [line for line in wide.splitlines() if len(line) > 80]
        # only an unbreakable word (a URL) or a command to paste may run past the edge
        assert all(" " not in line.strip() or line.strip().startswith("forcebridge ")
                   for line in too_long), (command, too_long)
        lost = {w for w in _words(piped) if w not in wide}
        assert not lost, (command, lost)
    assert api_client in world.cli("api-clients", "list").out


def test_listings_hold_what_json_says(world: World) -> None:
    for command in (("api-clients", "list"), ("connections", "list"), ("events", "list"),
                    ("integrations", "list"), ("objects", "fields", "Account", "-c", "demo org")):
        rows = world.json(*command)
        wide = world.cli(*command).out
        for key in ("id", "client_id", "name", "status"):
            for row in rows:
                value = row.get(key)
                if isinstance(value, str) and value:
                    shown = value[:12] if command[0] == "events" and key == "id" else value
                    assert shown in wide, (command, key, value)


def test_api_names_are_printed_verbatim(world: World) -> None:
    command = ("records", "get", "Account", "ACC-00001", "--by", "acme__Account_Id__c",
               "-c", "demo org")  # fmt: skip
    record = world.json(*command)
    wide = world.cli(*command).out
    for name in record:
        assert f"{name}:" in wide, name
    assert "acme  Account" not in wide and "External Id  c" not in wide
    for word in _values(record):
        assert word in wide


def test_help_shows_no_bool_on_flags(world: World) -> None:
    for command in (("users", "add"), ("runs", "list"), ("records", "get")):
        text = world.cli(*command, "--help").out
        assert "--json" in text and "<bool>" not in text, command


def test_a_real_terminal_gets_the_table_and_a_real_pipe_plain_text(world: World) -> None:
    """The same command in a pseudo-terminal 80 wide and through a pipe, as separate processes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
    env.update(FORCEBRIDGE_DATA_DIR=str(world.data_dir), FORCEBRIDGE_LOG_LEVEL="WARNING",
               COLUMNS="80", NO_COLOR="1")
    argv = [sys.executable, "-m", "forcebridge", "tenants", "list"]
    piped = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=True)
    leader, follower = pty.openpty()
    with subprocess.Popen(argv, env=env, stdout=follower, stderr=follower) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    os.close(leader)
    tty = ANSI.sub("", b"".join(chunks).decode().replace("\r", ""))
    assert "─" in tty and not BOX & set(piped.stdout)
    assert all(len(line) <= 80 for line in tty.splitlines())
    for word in _words(piped.stdout):
        assert word in tty
