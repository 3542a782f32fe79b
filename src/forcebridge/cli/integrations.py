"""`forcebridge integrations ...`: define integrations (running them is `forcebridge run`)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import anyio
import typer
import yaml

from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    console,
    emit_of_tenant,
    emit_one,
    in_tenant,
    runtime,
    tenant_id,
)
from forcebridge.errors import InvalidInput
from forcebridge.integrations import saves as integration_saves
from forcebridge.runtime import Runtime
from forcebridge.services import integrations
from forcebridge.services.integrations import IntegrationInput, IntegrationView

app = typer.Typer(no_args_is_help=True)
LIST_COLUMNS = (
    "name",
    "kind",
    "connection",
    "connected",
    "enabled",
    "schedule",
    "failure_streak",
    "id",
)

_REF = typer.Argument(..., help="Integration name or id.")
_CONNECTION = typer.Option(None, "--connection", "-c", help="Connection name or id.")
_CONFIG = typer.Option(
    None,
    "--config-file",
    "-f",
    exists=True,
    dir_okay=False,
    help="The kind's configuration, YAML or JSON (see docs/integrations.md).",
)
_SCHEDULE = typer.Option(
    None, "--schedule", help="Cron expression (5 fields, UTC); '' turns scheduled runs off."
)
_NOTIFY = typer.Option(
    None, "--notify", help="A user (email or id) to notify; repeat for several."
)


def read_config(path: Path) -> dict[str, Any]:
    """A kind's configuration from a YAML (or JSON, which YAML reads too) file."""
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.field("config_file", f"cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        reason = f"{path} is not valid YAML or JSON: {exc}"
        raise InvalidInput.field("config_file", reason) from None
    if not isinstance(loaded, dict):
        raise InvalidInput.field("config_file", f"{path} must hold a mapping (the config object)")
    return loaded


def _input(config_file: Path | None, notify: list[str] | None, **given: Any) -> IntegrationInput:
    """Only the options the user actually gave, so an update changes nothing else."""
    values = {k: v for k, v in given.items() if v is not None}
    if config_file is not None:
        values["config"] = read_config(config_file)
    if notify:
        values["notify"] = notify
    return IntegrationInput(**values)


def _row(view: IntegrationView) -> dict[str, Any]:
    """The view for a table: the config as YAML text."""
    return {**view.model_dump(), "config": yaml.safe_dump(view.config, sort_keys=False).rstrip()}


def _show(view: IntegrationView, as_json: bool) -> None:
    emit_one(view if as_json else _row(view), as_json=as_json)


def _save(
    rt: Runtime, tenant: str | None, data: IntegrationInput, ref: str | None
) -> IntegrationView:
    tid = tenant_id(rt, tenant)
    save = functools.partial(integration_saves.save, ref=ref, actor="cli")
    return anyio.run(save, rt, tid, data)


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", "-n", help="Unique in the tenant."),
    kind: str = typer.Option(..., "--kind", "-k", help="entity_sync, inbound_form, event_publish."),
    config_file: Path = typer.Option(..., "--config-file", "-f", exists=True, dir_okay=False,
                                     help="The kind's configuration, YAML or JSON."),
    tenant: str | None = TenantOption,
    connection: str | None = _CONNECTION,
    schedule: str | None = _SCHEDULE,
    notify: list[str] | None = _NOTIFY,
    as_json: bool = JsonOption,
) -> None:
    """Create an integration; with a connection it is checked against the org first."""
    data = _input(
        config_file, notify, name=name, kind=kind, connection=connection, schedule=schedule
    )
    _show(_save(runtime(), tenant, data, None), as_json)


@app.command("update")
def update(
    integration: str = _REF,
    tenant: str | None = TenantOption,
    name: str | None = typer.Option(None, "--name", "-n", help="New name."),
    connection: str | None = _CONNECTION,
    config_file: Path | None = _CONFIG,
    schedule: str | None = _SCHEDULE,
    notify: list[str] | None = _NOTIFY,
    as_json: bool = JsonOption,
) -> None:
    """Change what is given; a new config or connection is checked against the org first."""
    data = _input(config_file, notify, name=name, connection=connection, schedule=schedule)
    _show(_save(runtime(), tenant, data, integration), as_json)


@app.command("list")
def list_(
    tenant: str | None = TenantOption,
    kind: str | None = typer.Option(None, "--kind", "-k", help="Only integrations of this kind."),
    as_json: bool = JsonOption,
) -> None:
    """List a tenant's integrations."""
    emit_of_tenant(tenant, "Integrations", lambda s, tid: integrations.listing(s, tid, kind),
                   LIST_COLUMNS, as_json=as_json)


@app.command("show")
def show(integration: str = _REF, tenant: str | None = TenantOption, as_json: bool = JsonOption) -> None:
    """Show one integration (a SQL source's password masked)."""
    _show(in_tenant(tenant, lambda s, tid: integrations.show(s, tid, integration)), as_json)


@app.command("delete")
def delete(integration: str = _REF, tenant: str | None = TenantOption) -> None:
    """Delete an integration with its runs, events and sync state."""
    in_tenant(tenant, lambda s, tid: integrations.delete(s, tid, integration, actor="cli"))
    console.print(f"deleted integration {integration}")


@app.command("connect")
def connect(
    integration: str = _REF,
    connection: str = typer.Argument(..., help="Connection name or id."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """Attach or replace the connection (checked against its org first)."""
    view = _save(runtime(), tenant, IntegrationInput(connection=connection), integration)
    _show(view, as_json)


@app.command("disconnect")
def disconnect(
    integration: str = _REF, tenant: str | None = TenantOption, as_json: bool = JsonOption
) -> None:
    """Detach the connection: the integration no longer runs until connected again."""
    _show(_save(runtime(), tenant, IntegrationInput(connection=""), integration), as_json)


@app.command("enable")
def enable(integration: str = _REF, tenant: str | None = TenantOption, as_json: bool = JsonOption) -> None:
    """Enable; the count of failed runs in a row starts again from 0."""
    view = in_tenant(tenant, lambda s, tid: integrations.enable(s, tid, integration, actor="cli"))
    _show(view, as_json)


@app.command("disable")
def disable(
    integration: str = _REF,
    tenant: str | None = TenantOption,
    reason: str | None = typer.Option(None, "--reason", help="Why, shown with the integration."),
    as_json: bool = JsonOption,
) -> None:
    """Disable: no runs until enabled again."""
    view = in_tenant(tenant, lambda s, tid: integrations.disable(s, tid, integration,
                                                                reason=reason, actor="cli"))
    _show(view, as_json)
