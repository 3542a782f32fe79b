"""The `forcebridge` command: a face over the service layer, like the API and the console."""

from __future__ import annotations

import sys
from typing import Any

import typer
import typer.core
from rich.text import Text

from forcebridge.cli import startup
from forcebridge.cli.lazy import Lazy, LazyGroup
from forcebridge.cli.output import console_err
from forcebridge.errors import ForcebridgeError, InvalidInput

_C = "forcebridge.cli."


class _Root(LazyGroup):
    # name -> where the command lives; a module is imported only when its command runs
    entries = {
        "tenants": Lazy(_C + "tenants:app", "Create, list and delete tenants (your customers)."),
        "users": Lazy(_C + "users:app", "Manage a tenant's users: notifications, console sign-in."),
        "api-keys": Lazy(_C + "api_keys:app", "Issue, list and revoke API keys for the REST API."),
        "connections": Lazy(
            _C + "connections:app", "Connect Salesforce orgs: OAuth flow, concurrency, authorize."
        ),
        "emulator": Lazy(
            _C + "emulator:app",
            "Run a local Salesforce org (the emulator) for development, demos and CI.",
        ),
        "api-clients": Lazy(
            _C + "api_clients:app",
            "Credentials Salesforce (a Named Credential) uses to call forcebridge.",
        ),
        "records": Lazy(
            _C + "records:app", "Create, get, update, upsert and delete records of any object."
        ),
        "objects": Lazy(
            _C + "objects:app", "List an org's objects and the fields each operation can use."
        ),
        "integrations": Lazy(
            _C + "integrations:app",
            "Define integrations: entity syncs, inbound forms, event publishing.",
        ),
        "sources": Lazy(
            _C + "sources:app",
            "Register databases and file roots (data sources) and grant them to tenants.",
        ),
        "runs": Lazy(_C + "runs:app", "What each run of an integration did."),
        "events": Lazy(
            _C + "events:app", "Failures kept until resolved: list, show, resolve, retry."
        ),
        "forms": Lazy(_C + "forms:app", "Posts received by inbound-form hooks; replay them."),
        "outbox": Lazy(_C + "outbox:app", "Publish events and watch their delivery."),
        "alerts": Lazy(
            _C + "alerts:app",
            "Alert channels (email, Slack, webhook): rules, incidents, a test message.",
        ),
        "run": Lazy(_C + "runs:run", "Run an integration now, with a progress bar."),
        "plan": Lazy(
            _C + "runs:plan", "Check an integration against the org; show what a run would do."
        ),
        "apply": Lazy(_C + "declarative:apply", "Create or update integrations from a YAML file."),
        "export": Lazy(
            _C + "declarative:export", "Write integrations out as YAML, for version control."
        ),
        "db": Lazy(_C + "db:app", "Database migrations."),
        "secrets": Lazy(_C + "secrets:app", "Secrets at rest: rotate the encryption key."),
        "serve": Lazy(_C + "serve:serve", "Run the REST API and the scheduler in one process."),
        "worker": Lazy(
            _C + "workers:worker", "Run scheduled work from the broker (scaled-out installs)."
        ),
        "scheduler": Lazy(
            _C + "workers:scheduler", "Enqueue due work for workers (scaled-out installs)."
        ),
        "demo": Lazy(
            _C + "demo:demo", "Run the whole product once on embedded defaults and show what works."
        ),
    }


_shown_type = typer.core.TyperOption.display_type_rich


def _flag_without_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """Help shows a flag (`--json`, `--notify/--no-notify`) bare: it takes no value, so a
    `<bool>` beside it only misleads."""
    return None if self.is_flag else _shown_type(self, ctx)


typer.core.TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign]

app = typer.Typer(
    name="forcebridge",
    cls=_Root,
    help="Connect your product's data to your customers' Salesforce orgs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    pass


def main() -> None:
    startup.starting()
    try:
        _main()
    finally:
        startup.exiting()


def _main() -> None:
    try:
        try:
            app()
        except Exception as exc:
            # pydantic is loaded only by commands that use it; no module, no such error
            pydantic = sys.modules.get("pydantic")
            if pydantic is not None and isinstance(exc, pydantic.ValidationError):
                raise InvalidInput.from_pydantic(exc) from exc
            raise
    except ForcebridgeError as exc:
        lines = [f"{d.get('field', '')}: {d.get('reason', '')}" for d in exc.details]
        if lines and exc.message == "; ".join(lines):
            # the message is only the details joined: one per line reads better
            first, lines = lines[0], lines[1:]
        else:
            first = exc.message
        # never wrapped: a message may end in a command to paste
        console_err.print(Text.assemble(("error: ", "red"), first), soft_wrap=True)
        for line in lines:
            console_err.print(Text(f"  {line}"), soft_wrap=True)
        sys.exit(1)
