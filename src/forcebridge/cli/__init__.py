"""The `forcebridge` command: a face over the service layer, like the API and the console."""

from __future__ import annotations

import sys

import pydantic
import typer

from forcebridge.cli import (
    api_clients,
    api_keys,
    connections,
    db,
    declarative,
    demo,
    emulator,
    events,
    forms,
    integrations,
    objects,
    outbox,
    records,
    runs,
    secrets,
    serve,
    tenants,
    users,
)
from forcebridge.cli.output import console_err
from forcebridge.errors import ForcebridgeError, InvalidInput

app = typer.Typer(
    name="forcebridge",
    help="Connect your product's data to your customers' Salesforce orgs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(tenants.app, name="tenants", help="Create, list and delete tenants (your customers).")
app.add_typer(users.app, name="users", help="Manage a tenant's users, who receive notifications.")
app.add_typer(
    api_keys.app, name="api-keys", help="Issue, list and revoke API keys for the REST API."
)
app.add_typer(
    connections.app,
    name="connections",
    help="Connect Salesforce orgs: OAuth flow, concurrency, authorize.",
)
app.add_typer(
    emulator.app,
    name="emulator",
    help="Run a local Salesforce org (the emulator) for development, demos and CI.",
)
app.add_typer(
    api_clients.app,
    name="api-clients",
    help="Credentials Salesforce (a Named Credential) uses to call forcebridge.",
)
app.add_typer(
    records.app,
    name="records",
    help="Create, get, update, upsert and delete records of any object.",
)
app.add_typer(
    objects.app,
    name="objects",
    help="List an org's objects and the fields each operation can use.",
)
app.add_typer(
    integrations.app,
    name="integrations",
    help="Define integrations: entity syncs, inbound forms, event publishing.",
)
app.add_typer(runs.app, name="runs", help="What each run of an integration did.")
app.add_typer(
    events.app, name="events", help="Failures kept until resolved: list, show, resolve, retry."
)
app.add_typer(forms.app, name="forms", help="Posts received by inbound-form hooks; replay them.")
app.add_typer(outbox.app, name="outbox", help="Publish events and watch their delivery.")
app.command("run", help="Run an integration now, with a progress bar.")(runs.run)
app.command("plan", help="Check an integration against the org; show what a run would do.")(
    runs.plan
)
app.command("apply", help="Create or update integrations from a YAML file.")(declarative.apply)
app.command("export", help="Write integrations out as YAML, for version control.")(
    declarative.export
)
app.add_typer(db.app, name="db", help="Database migrations.")
app.add_typer(secrets.app, name="secrets", help="Secrets at rest: rotate the encryption key.")
app.command("serve", help="Run the REST API and the scheduler in one process.")(
    serve.serve
)
app.command("demo", help="Run the whole product once on embedded defaults and show what works.")(
    demo.demo
)


def main() -> None:
    try:
        try:
            app()
        except pydantic.ValidationError as exc:
            raise InvalidInput.from_pydantic(exc) from exc
    except ForcebridgeError as exc:
        lines = [f"{d.get('field', '')}: {d.get('reason', '')}" for d in exc.details]
        if lines and exc.message == "; ".join(lines):
            # the message is only the details joined: one per line reads better
            console_err.print("[red]error:[/red] " + lines[0])
            lines = lines[1:]
        else:
            console_err.print(f"[red]error:[/red] {exc.message}")
        for line in lines:
            console_err.print(f"  {line}")
        sys.exit(1)
