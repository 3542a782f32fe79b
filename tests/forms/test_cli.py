"""`forcebridge forms` against the emulator on a real socket: url, posts, replay, rotate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from typer.testing import CliRunner

from forcebridge.cli import forms as forms_cli
from forcebridge.errors import InvalidInput
from forcebridge.forms.receiving import receive
from forcebridge.integrations import saves as integration_saves
from forcebridge.runtime import Runtime
from forcebridge.services import tenants
from forcebridge.services.integrations import IntegrationInput
from forcebridge.settings import Settings
from tests.emulated_org import connected_tenant
from tests.forms.conftest import LEAD_FORM
from tests.salesforce.emulated import Emulated, on_socket

T = ["--tenant", "acme"]


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Emulated, Runtime]]:
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
    with on_socket() as emu:
        rt = Runtime(Settings())
        rt.migrate()
        with rt.db.begin() as s:
            tenant_id = connected_tenant(s, rt, emu, connection="demo")
        data = IntegrationInput(name="web leads", kind="inbound_form", connection="demo",
                                config=LEAD_FORM)
        anyio.run(lambda: integration_saves.save(rt, tenant_id, data))
        yield emu, rt
        rt.close()


def ok(*args: str) -> Any:
    result = CliRunner().invoke(forms_cli.app, [*args, *T, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.output)


def _post(rt: Runtime, url: str, values: dict[str, str]) -> Any:
    path, _, query = url.partition("?")
    params = httpx.QueryParams(query)
    outcome = anyio.run(lambda: receive(
        rt, path.rsplit("/", 1)[1], content_type="application/x-www-form-urlencoded",
        body=str(httpx.QueryParams(values)).encode(), query=params.multi_items(),
        token=params.get("token"),
    ))
    return outcome


def test_url_posts_replay_and_rotate(live: tuple[Emulated, Runtime]) -> None:
    emu, rt = live
    shown = ok("url", "web leads")  # never the secret: made with the form, not yet shown
    assert shown["auth"] == "token" and shown["secret"] == "set"
    assert shown["secret_rotated_at"] is None and "token" not in shown["url"]
    plain = CliRunner().invoke(forms_cli.app, ["url", "web leads", *T])
    lines = plain.output.splitlines()
    assert lines[0] == shown["url"] and "never shown" in lines[1]
    assert lines[-1].strip() == "forcebridge forms rotate-secret 'web leads' --tenant acme"
    hook = ok("rotate-secret", "web leads")  # the suggestion, run: the secret, this once
    assert hook["url"] == f"{shown['url']}?token={hook['secret']}"
    after = ok("url", "web leads")
    assert after["secret"] == "set" and after["secret_rotated_at"] is not None
    assert hook["secret"] not in json.dumps(after)

    refused = _post(rt, hook["url"], {"surname": "Lamarr", "company": "MGM"})
    assert refused.status == "rejected"
    [row] = ok("posts", "web leads", "--status", "rejected")
    assert row["id"] == refused.post_id and row["ignored"] == ["surname"]
    # replayed with the same mapping it is rejected again: the command says so by its exit code
    still = CliRunner().invoke(forms_cli.app, ["replay", refused.post_id, *T, "--json"])
    assert still.exit_code == 1 and json.loads(still.output)[0]["status"] == "rejected"

    # fix the mapping, then replay every rejected post
    fixed = {**LEAD_FORM, "mappings": [{"field": "LastName", "column": "surname"},
                                       *LEAD_FORM["mappings"][1:]]}
    with rt.db.begin() as s:
        tid = tenants.find(s, "acme").id
    anyio.run(lambda: integration_saves.save(
        rt, tid, IntegrationInput(config=fixed), ref="web leads"))
    [done] = ok("replay", "--all-rejected", "-i", "web leads")
    assert done["status"] == "created"
    assert emu.org.get("Lead", done["id"])["LastName"] == "Lamarr"
    [again] = ok("replay", refused.post_id)
    assert again["status"] == "created" and again["id"] == done["id"]

    rotated = ok("rotate-secret", "web leads")
    assert rotated["secret"] != hook["secret"]
    assert rotated["secret"] not in json.dumps(ok("url", "web leads"))
    with pytest.raises(Exception, match="no hook here"):
        _post(rt, hook["url"], {"surname": "X", "company": "Y"})
    assert _post(rt, rotated["url"], {"surname": "X", "company": "Y"}).status == "created"

    fields = {f["name"]: f for f in ok("fields", "web leads")}
    assert fields["LastName"]["required"] and fields["LastName"]["mapped_from"] == ["surname"]


def test_replay_needs_ids_or_all_rejected(live: tuple[Emulated, Runtime]) -> None:
    result = CliRunner().invoke(forms_cli.app, ["replay", *T])
    assert isinstance(result.exception, InvalidInput)
    result = CliRunner().invoke(forms_cli.app, ["replay", "--all-rejected", *T])
    assert isinstance(result.exception, InvalidInput)
