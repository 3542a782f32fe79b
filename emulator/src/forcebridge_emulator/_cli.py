"""`forcebridge-emulator serve`: a local Salesforce org for development, demos and CI.

argparse keeps the package's dependencies small; every bad option ends with one line naming it
and exit status 2, a port in use with one line and status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from forcebridge_emulator._faults import SPEC_HELP, FaultConfig, FaultSpecError
from forcebridge_emulator._org import Org
from forcebridge_emulator._orgfile import OrgFileError, demo_config, load
from forcebridge_emulator._server import DEFAULT_KEEP_ALIVE, ServeError, serve
from forcebridge_emulator._snapshot import load_state, save_state


def _parser(prog: str) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A local Salesforce org speaking the real wire protocol "
        "(OAuth, REST, SOQL, Bulk API 2.0, Apex REST).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_cmd = commands.add_parser(
        "serve",
        help="Serve the emulator until interrupted.",
        description="Serve the emulator; prints the base URL, username, password, security "
        "token and the connected app's consumer key and secret at start-up.",
    )
    add_serve_options(serve_cmd)
    return parser, serve_cmd


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """The options of `serve` (shared with `forcebridge emulator serve`)."""
    parser.add_argument("--host", default="127.0.0.1", help="Bind address (default 127.0.0.1).")
    parser.add_argument(
        "--port", type=int, default=8765, help="Port (0 picks a free one, printed at start-up)."
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="Serve HTTPS with a self-signed certificate; its path is printed as the CA "
        "certificate to trust.",
    )
    parser.add_argument(
        "--cert-dir",
        type=Path,
        help="Where --tls writes its certificate and key (default: a new temporary folder).",
    )
    parser.add_argument(
        "--org",
        dest="org_file",
        type=Path,
        help="Org file (YAML or JSON); default: the ready-to-use demo org.",
    )
    parser.add_argument(
        "--latency-ms", type=int, help="Wait this long before answering every API call."
    )
    parser.add_argument("--faults", help=SPEC_HELP)
    parser.add_argument(
        "--keep-alive",
        type=int,
        default=DEFAULT_KEEP_ALIVE,
        metavar="SECONDS",
        help=f"Keep idle client connections open this long (default {DEFAULT_KEEP_ALIVE}).",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn log level.")
    parser.add_argument(
        "--state",
        type=Path,
        help="Keep the org's records in this SQLite file: loaded at start if it exists, "
        "saved when the server stops. Default: in memory only.",
    )


def main(argv: Sequence[str] | None = None, *, prog: str = "forcebridge-emulator") -> int:
    """Run the command line; returns the exit status."""
    parser, serve_parser = _parser(prog)
    args = parser.parse_args(argv)
    try:
        faults = FaultConfig.parse(args.faults)
        if args.latency_ms is not None:
            if args.latency_ms < 0:
                raise FaultSpecError("--latency-ms: must be 0 or more")
            faults.set("latency", str(args.latency_ms))
    except FaultSpecError as exc:
        serve_parser.error(f"--faults: {exc}")
    if args.keep_alive < 1:
        serve_parser.error("--keep-alive: must be at least 1 second")
    config = demo_config()
    if args.org_file is not None:
        if not args.org_file.is_file():
            serve_parser.error(f"--org: no such file: {args.org_file}")
        try:
            config = load(args.org_file)
        except OrgFileError as exc:
            serve_parser.error(f"--org: {exc}")
    state: Path | None = args.state
    org = load_state(state, config) if state is not None and state.exists() else Org(config)

    def save() -> None:
        assert state is not None
        save_state(org, state)
        print(f"org saved to {state}", flush=True)

    try:
        serve(
            host=args.host,
            port=args.port,
            tls=args.tls,
            cert_dir=args.cert_dir,
            org=org,
            faults=faults,
            out=sys.stdout,
            log_level=args.log_level,
            keep_alive=args.keep_alive,
            on_stop=save if state is not None else None,
        )
    except ServeError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    return 0


def run() -> None:
    """The `forcebridge-emulator` console script."""
    sys.exit(main())
