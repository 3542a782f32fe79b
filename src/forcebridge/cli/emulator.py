"""`forcebridge emulator serve`: a local Salesforce org for development, demos and CI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from forcebridge_emulator.faults import SPEC_HELP, FaultConfig, FaultSpecError

app = typer.Typer(
    help="A local Salesforce org speaking the real wire protocol.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def emulator() -> None:
    """A local Salesforce org speaking the real wire protocol (OAuth, REST, SOQL, Bulk 2.0)."""


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Bind address."),
    port: int = typer.Option(8765, help="Port (0 picks a free one, printed at start-up)."),
    tls: bool = typer.Option(
        False, "--tls", help="Serve HTTPS with a self-signed certificate (path printed)."
    ),
    cert_dir: Path | None = typer.Option(
        None, "--cert-dir", help="Where --tls writes its certificate and key (default: temp dir)."
    ),
    org_file: Path | None = typer.Option(
        None, "--org", help="Org file (YAML or JSON); default: the ready-to-use demo org."
    ),
    latency_ms: int | None = typer.Option(
        None, "--latency-ms", min=0, help="Wait this long before answering every API call."
    ),
    faults: str | None = typer.Option(None, "--faults", help=SPEC_HELP),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
    state: Path | None = typer.Option(
        None,
        "--state",
        help="Keep the org's records in this SQLite file: loaded at start if it exists, "
        "saved when the server stops. Default: in memory only.",
    ),
) -> None:
    """Serve the emulator; prints the base URL, username, password, security token and the
    connected app's consumer key and secret at start-up."""
    from forcebridge_emulator import server

    try:
        config = FaultConfig.parse(faults)
        if latency_ms is not None:
            config.set("latency", str(latency_ms))
    except FaultSpecError as exc:
        raise typer.BadParameter(str(exc), param_hint="--faults") from None
    from forcebridge_emulator.org import Org
    from forcebridge_emulator.orgfile import OrgFileError, demo_config, load

    org_config = demo_config()
    if org_file is not None:
        if not org_file.is_file():
            raise typer.BadParameter(f"no such file: {org_file}", param_hint="--org")
        try:
            org_config = load(org_file)
        except OrgFileError as exc:
            raise typer.BadParameter(str(exc), param_hint="--org") from None
    org = Org.load(state, org_config) if state is not None and state.exists() else Org(org_config)
    server.serve(
        host=host,
        port=port,
        tls=tls,
        cert_dir=cert_dir,
        org=org,
        faults=config,
        out=sys.stdout,
        log_level=log_level,
        on_stop=(lambda: _save(org, state)) if state is not None else None,
    )


def _save(org: Any, state: Path) -> None:
    org.save(state)
    typer.echo(f"org saved to {state}")
