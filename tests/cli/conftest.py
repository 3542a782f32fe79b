"""A store as `make demo` leaves it, plus an org on a socket: every listing has rows to show.

`World` runs the CLI in-process, as a terminal of a given width (Rich forced to a terminal)
or piped (plain), so each listing command can be checked both ways cheaply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from forcebridge.cli import app
from forcebridge.cli.output import console, console_err
from forcebridge.errors import ForcebridgeError
from forcebridge.runtime import Runtime
from forcebridge.services import events
from forcebridge.settings import Settings
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run
from tests.emulated_org import connect
from tests.salesforce.emulated import Emulated, on_socket

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Shown:
    code: int
    out: str
    err: str


@dataclass
class World:
    data_dir: Path
    emu: Emulated
    run_id: str
    api_key: str
    demo_output: str

    def cli(self, *args: str, width: int | None = 80, ok: bool = True) -> Shown:
        """Run `forcebridge ARGS`: as a terminal `width` wide, or piped when width is None."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("FORCEBRIDGE_DATA_DIR", str(self.data_dir))
            mp.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
            for c in (console, console_err):
                mp.setattr(c, "_force_terminal", width is not None)
                mp.setattr(c, "_width", width or 80)
            result = CliRunner().invoke(app, list(args), catch_exceptions=True)
        code, err = result.exit_code, ANSI.sub("", result.stderr)
        if isinstance(result.exception, ForcebridgeError):  # what `cli.main` reports, exit 1
            code, err = 1, err + result.exception.message
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        shown = Shown(code, ANSI.sub("", result.stdout), err)
        if ok:
            assert shown.code == 0, (args, shown)
        return shown

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json", width=None).out)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("world") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORCEBRIDGE_DATA_DIR", str(data_dir))
        mp.setenv("FORCEBRIDGE_LOG_LEVEL", "WARNING")
        mp.setattr(console, "_width", 200)
        demo = CliRunner().invoke(app, ["demo", "--changes", "2"], catch_exceptions=False)
    assert demo.exit_code == 0, demo.output
    key = re.search(r"fbk_\S+", demo.output)
    assert key is not None
    with on_socket() as emu:
        rt = Runtime(Settings(data_dir=data_dir, log_level="WARNING"))
        with rt.db.begin() as s:
            integration = s.scalars(select(Integration).order_by(Integration.name)).first()
            assert integration is not None
            run = s.scalars(select(Run).where(Run.integration_id == integration.id)).first()
            assert run is not None
            connect(s, rt, integration.tenant_id, emu, "demo org")
            events.record(
                s, integration=integration, run_id=run.id, kind="record_rejected",
                record_key="ACC-00002", error_code="DUPLICATE_VALUE", message="duplicate",
            )
            events.record(
                s, integration=integration, run_id=run.id, kind="record_rejected",
                record_key="ACC-00001", error_code="REQUIRED_FIELD_MISSING",
                message="Required fields are missing: [acme__Billing_Currency__c] on "
                "https://emulator.forcebridge.localhost/services/data/v62.0/sobjects/Account",
                fields=["acme__Billing_Currency__c"], payload={"Name": "Acme"},
            )  # fmt: skip
            run_id = run.id
        rt.close()
        world = World(data_dir, emu, run_id, key.group(0), demo.output)
        world.cli("integrations", "connect", "Support cases", "demo org")
        world.cli("records", "upsert", "Account", "ACC-00001", "--by", "acme__Account_Id__c",
                  "Name=Northwind Traders", "External_Id__c=A-0001", "-c", "demo org")
        yield world
