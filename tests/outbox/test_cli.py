"""`forcebridge outbox ...` as a user runs it: a real process against the emulator on a socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forcebridge.runtime import Runtime
from forcebridge.services import integrations
from forcebridge.services.integrations import IntegrationInput
from tests.emulated_org import connected_tenant
from tests.outbox.conftest import APEX
from tests.salesforce.emulated import on_socket

_MAIN = """
import sys
from forcebridge import cli
sys.argv = ["forcebridge", *sys.argv[1:]]
cli.main()
"""


def _cli(runtime: Runtime) -> Callable[..., subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
    env.update(
        {
            "FORCEBRIDGE_DATA_DIR": str(runtime.settings.data_dir),
            "FORCEBRIDGE_DATABASE_URL": runtime.settings.resolved_database_url,
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
    )

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-c", _MAIN, *args], env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        if ok:
            assert proc.returncode == 0, proc.stderr + proc.stdout
        return proc

    return run


def test_publish_list_deliver_replay(runtime: Runtime, tmp_path: Path) -> None:
    with on_socket() as emu:
        with runtime.db.begin() as s:
            tenant_id = connected_tenant(s, runtime, emu, connection="org")
            for name, config in [("billing", APEX), ("broken", {"target": "acme/nowhere"})]:
                integrations.create(
                    s, runtime.vault, tenant_id,
                    IntegrationInput(name=name, kind="event_publish", connection="org",
                                     config=config),
                )  # fmt: skip
        cli = _cli(runtime)
        out = cli(
            "outbox", "publish", "billing", "-t", "acme", "--key", "acct-1", "--type",
            "invoice.paid", "--payload", '{"amount": 3}', "--idempotency-key", "inv-1", "--json",
        )  # fmt: skip
        (published,) = json.loads(out.stdout)
        again = json.loads(
            cli("outbox", "publish", "billing", "-t", "acme", "--key", "acct-1", "--type",
                "invoice.paid", "--idempotency-key", "inv-1", "--json").stdout
        )  # fmt: skip
        assert again[0]["id"] == published["id"]  # stored once
        cli("outbox", "publish", "broken", "-t", "acme", "--key", "k", "--type", "t")

        listed: list[dict[str, Any]] = json.loads(
            cli("outbox", "list", "billing", "-t", "acme", "--status", "pending", "--json").stdout
        )
        assert [m["id"] for m in listed] == [published["id"]]

        summary = json.loads(cli("outbox", "deliver", "--until-empty", "--json").stdout)
        assert summary == {"delivered": 1, "pending": 0}
        bodies = [r["json"] for r in emu.emulator.apex_log.to_json("/acme/events")]
        assert [b["payload"] for b in bodies] == [{"amount": 3}]

        (dead,) = json.loads(
            cli("outbox", "list", "broken", "-t", "acme", "--status", "dead", "--json").stdout
        )
        assert dead["last_error"].startswith("NOT_FOUND")
        replayed = json.loads(
            cli("outbox", "replay", str(dead["id"]), "-t", "acme", "--json").stdout
        )
        assert replayed[0]["status"] == "pending" and replayed[0]["attempts"] == 0

        refused = cli("outbox", "publish", "billing", "-t", "acme", "--key", "k", "--type", "t",
                      "--payload", "[1]", ok=False)  # fmt: skip
        assert refused.returncode == 1 and "--payload" in refused.stderr
        wrong_tenant = cli("outbox", "replay", str(dead["id"]), "-t", "nobody", ok=False)
        assert wrong_tenant.returncode == 1
