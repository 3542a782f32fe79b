"""The CLI loads only what the chosen command needs.

Run in fresh interpreters, because the test process itself has loaded everything.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from forcebridge.cli import app, startup

HEAVY = ("fastapi", "uvicorn", "starlette", "forcebridge_emulator", "httpx", "sqlalchemy",
         "prometheus_client", "opentelemetry", "celery", "redis")


def loaded_after(code: str, *, env: dict[str, str] | None = None) -> set[str]:
    probe = f"{code}\nimport sys; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    return {name.split(".")[0] for name in done.stdout.split()}


def test_importing_the_cli_loads_no_web_stack_emulator_http_client_or_database() -> None:
    loaded = loaded_after("import forcebridge.cli")
    assert "typer" in loaded
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_root_help_lists_every_command_without_importing_any() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from forcebridge.cli import app\n"
        "sys.argv = ['forcebridge', '--help']\n"
        "out = io.StringIO()\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(out):\n"
        "    app()\n"
        "assert 'integrations' in out.getvalue() and 'serve' in out.getvalue(), out.getvalue()\n"
        "assert 'typer.rich_utils' not in sys.modules  # Markdown, pygments, tracebacks\n"
    )
    loaded = loaded_after(code)
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_a_database_command_does_not_load_the_web_stack_emulator_or_http_client(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "FORCEBRIDGE_DATA_DIR": str(tmp_path), "COLUMNS": "80"}
    code = (
        "import sys, contextlib\n"
        "from forcebridge.cli import main\n"
        "sys.argv = ['forcebridge', 'runs', 'list', 'nothing', '-t', 'nobody']\n"
        "with contextlib.suppress(SystemExit):\n"
        "    main()\n"
    )
    loaded = loaded_after(code, env=env)
    assert "sqlalchemy" in loaded  # it did reach the database
    assert loaded.isdisjoint({"fastapi", "uvicorn", "starlette", "forcebridge_emulator", "httpx",
                              "prometheus_client", "opentelemetry", "cryptography", "anyio"})


def test_the_run_engine_loads_no_jwt_signing_or_certificate_code() -> None:
    code = (
        "import forcebridge.cli.runs, forcebridge.runs, forcebridge.salesforce\n"
        "import sys\n"
        "assert 'cryptography.x509' not in sys.modules  # only making a key pair needs it\n"
    )
    loaded = loaded_after(code)
    assert "sqlalchemy" in loaded and "httpx" in loaded  # it did load the engine
    assert "jwt" not in loaded  # only the JWT bearer flow signs


@pytest.mark.parametrize("name", sorted(app.info.cls.entries))  # type: ignore[union-attr]
def test_every_listed_command_loads_with_the_help_it_is_listed_with(name: str) -> None:
    group = typer.main.get_command(app)
    ctx = group.make_context("forcebridge", [name, "--help"], resilient_parsing=True)
    command = group.get_command(ctx, name)
    assert command is not None
    assert command.help == group.entries[name].help  # type: ignore[attr-defined]
    assert command.callback is not None or getattr(command, "commands", None)


def test_a_command_run_after_a_startup_without_collector_runs_with_it() -> None:
    seen: list[bool] = []
    probe = typer.Typer()

    @probe.command()
    def one(name: str) -> None:
        seen.append(gc.isenabled())

    @probe.command()
    def two() -> None:
        seen.append(gc.isenabled())

    command = typer.main.get_command(probe)
    startup.collect_when_run(command)
    startup.collect_when_run(command)  # loading twice wraps once
    startup.starting()
    try:
        assert not gc.isenabled()
        command.main(["one", "x"], standalone_mode=False)
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
    command.main(["two"], standalone_mode=False)
    assert seen == [True, True]


def test_output_and_writes_of_a_command_survive_the_exit_without_a_final_collection(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "FORCEBRIDGE_DATA_DIR": str(tmp_path), "COLUMNS": "80"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "forcebridge", *args], capture_output=True,
                              text=True, env=env, check=False)  # fmt: skip

    assert cli("tenants", "create", "acme").returncode == 0
    listed = cli("tenants", "list", "--json")
    assert listed.returncode == 0
    assert [t["name"] for t in json.loads(listed.stdout)] == ["acme"]
    missing = cli("runs", "list", "nothing", "-t", "nobody")
    assert missing.returncode == 1
    assert "nobody" in missing.stderr
