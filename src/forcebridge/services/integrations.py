"""Integrations: what to sync, publish or receive for a tenant, validated per kind.

The service checks what it can without Salesforce (names, kind configuration, schedule,
connection and notification users). The faces never call `create`/`update` directly: they go
through `integrations.saves.save`, which also runs the kind's checks against the org's
live describe (`integrations.checks`) before anything is committed.

An entity sync's source names a data source the operator granted to the tenant
(`services.data_sources`); a URL or an absolute path given inline is refused, so the config
holds no secret and is shown as stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pydantic
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge.errors import Conflict, InvalidInput, NotFound
from forcebridge.kinds import hooks
from forcebridge.kinds.event_publish import EventPublishConfig
from forcebridge.kinds.inbound_form import InboundFormConfig
from forcebridge.services import audit, data_sources, validation
from forcebridge.services import connections as connections_service
from forcebridge.services.integration_lookup import end_dead_run, get
from forcebridge.store.integrations import Integration
from forcebridge.store.models import User
from forcebridge.store.types import new_id, utcnow
from forcebridge.sync.config import EntitySyncConfig, filter_problems
from forcebridge.vault import Vault

Kind = Literal["entity_sync", "inbound_form", "event_publish"]
KindConfig = EntitySyncConfig | InboundFormConfig | EventPublishConfig

CONFIG_MODELS: dict[str, type[BaseModel]] = {
    "entity_sync": EntitySyncConfig,
    "inbound_form": InboundFormConfig,
    "event_publish": EventPublishConfig,
}
SCHEDULED_KINDS = frozenset({"entity_sync"})


class IntegrationInput(BaseModel):
    """What a user says about an integration, from the API, the CLI or a YAML file.

    On update only the fields given change. `connection` is a connection's name or id; ""
    detaches it ("disconnect"). `notify` lists users by email or id. `schedule` is a cron
    expression; "" turns scheduled runs off (manual and API runs still work).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200)
    kind: Kind | None = None
    connection: str | None = None
    config: dict[str, Any] | None = None
    schedule: str | None = Field(default=None, max_length=100)
    notify: list[str] | None = None
    enabled: bool | None = None


def default_schedule(integration_id: str) -> str:
    """Hourly, at a minute in 0..9 fixed per integration, so runs spread near the hour."""
    minute = int(hashlib.sha256(integration_id.encode()).hexdigest(), 16) % 10
    return f"{minute} * * * *"


def check_schedule(expression: str) -> str:
    cleaned = " ".join(expression.split())
    if not croniter.is_valid(cleaned) or len(cleaned.split()) != 5:
        raise InvalidInput.field(
            "schedule", f"{expression!r} is not a cron expression of 5 fields, e.g. '5 * * * *'"
        )
    return cleaned


def next_tick(expression: str, after: datetime) -> datetime:
    """The first time the schedule fires strictly after `after` (UTC)."""
    result: datetime = croniter(expression, after).get_next(datetime)
    return result


def parse_config(kind: str, raw: dict[str, Any]) -> KindConfig:
    """The kind's typed configuration; every problem named with its path under `config`."""
    model = CONFIG_MODELS[kind]
    try:
        parsed = model.model_validate(raw)
    except pydantic.ValidationError as exc:
        bad = InvalidInput.from_pydantic(exc)
        # an error of the config as a whole (a model validator) has no path: "input"
        details = [
            {**d, "field": "config" if d["field"] == "input" else f"config.{d['field']}"}
            for d in bad.details
        ]
        raise InvalidInput.from_details(details) from None
    assert isinstance(parsed, EntitySyncConfig | InboundFormConfig | EventPublishConfig)
    if isinstance(parsed, EntitySyncConfig) and (problems := filter_problems(parsed)):
        raise InvalidInput.from_details(
            [{"field": f"config.{field}", "reason": reason} for field, reason in problems])
    return parsed


def list_all(session: Session, tenant_id: str, kind: str | None = None) -> list[Integration]:
    """The tenant's integrations by name, only those of `kind` when given."""
    query = select(Integration).where(Integration.tenant_id == tenant_id)
    if kind:
        if kind not in CONFIG_MODELS:
            raise InvalidInput.field("kind", f"must be one of: {', '.join(CONFIG_MODELS)}")
        query = query.where(Integration.kind == kind)
    found = list(session.scalars(query.order_by(Integration.name)))
    for integration in found:
        end_dead_run(session, integration)
    return found


def config_of(integration: Integration, vault: Vault) -> KindConfig:
    """The typed configuration (`vault` opens what a kind keeps sealed)."""
    return parse_config(integration.kind, dict(integration.config))


def _users(session: Session, tenant_id: str, refs: list[str]) -> list[str]:
    ids = []
    for i, ref in enumerate(refs):
        ref = ref.strip()
        if not ref:
            continue  # `--notify ""` clears the list
        user = session.get(User, ref)
        if user is None or user.tenant_id != tenant_id:
            user = session.scalar(
                select(User).where(User.tenant_id == tenant_id, User.email == ref.lower())
            )
        if user is None:
            raise InvalidInput.field(f"notify.{i}", f"no user {ref!r} in this tenant")
        if user.id not in ids:
            ids.append(user.id)
    return ids


def _apply(
    session: Session, vault: Vault, integration: Integration, data: IntegrationInput,
    given: set[str],
) -> None:
    if "name" in given:
        name = validation.name(data.name or "", "name")
        validation.unique_name(session, Integration, name, what="an integration",
                               other_than=integration.id, tenant_id=integration.tenant_id)
        integration.name = name
    if "kind" in given and data.kind and data.kind != integration.kind:
        raise InvalidInput.field("kind", "cannot change; create a new integration instead")
    if "connection" in given:
        if not data.connection:
            integration.connection_id = None
        else:
            try:
                conn = connections_service.get(session, integration.tenant_id, data.connection)
            except NotFound:
                raise InvalidInput.field(
                    "connection", f"no connection {data.connection!r} in this tenant"
                ) from None
            integration.connection_id = conn.id
    if "config" in given:
        if data.config is None:
            raise InvalidInput.field("config", "is required")
        if integration.kind == "entity_sync":
            data_sources.refuse_inline(session, integration.tenant_id, data.config.get("source"))
        parsed = parse_config(integration.kind, data.config)
        if isinstance(parsed, EntitySyncConfig):
            data_sources.check_granted(session, integration.tenant_id, parsed.source)
        integration.config = parsed.model_dump(mode="json", exclude_defaults=False)
    if "schedule" in given:
        if integration.kind not in SCHEDULED_KINDS and data.schedule:
            raise InvalidInput.field(
                "schedule", f"{integration.kind} integrations are not run on a schedule"
            )
        integration.schedule = check_schedule(data.schedule) if data.schedule else None
        integration.next_run_at = None
    if "notify" in given:
        integration.notify_user_ids = _users(session, integration.tenant_id, data.notify or [])
    if "enabled" in given and data.enabled is not None and data.enabled != integration.enabled:
        # only a change: re-stating the current state keeps the reason and the failure streak
        reason = None if data.enabled else "disabled by a user"
        set_enabled(integration, data.enabled, reason=reason)


def set_enabled(integration: Integration, enabled: bool, *, reason: str | None = None) -> None:
    """Enabling resets the failure streak, so 10 more failed runs are needed to disable again."""
    integration.enabled = enabled
    integration.disabled_reason = None if enabled else (reason or "disabled")
    if enabled:
        integration.failure_streak = 0
        integration.next_run_at = None


def enable(session: Session, tenant_id: str, ref: str, *, actor: str = "system") -> IntegrationView:
    """Enable (again): runs resume and the failure streak starts from 0."""
    integration = get(session, tenant_id, ref)
    set_enabled(integration, True)
    audit.record(
        session, actor=actor, action="integration.enable", target_type="integration",
        target_id=integration.id, tenant_id=tenant_id,
    )
    return public_view(session, integration)


def disable(
    session: Session, tenant_id: str, ref: str, *, reason: str | None = None,
    actor: str = "system",
) -> IntegrationView:
    """Disable: no scheduled or manual runs (nor posts, nor deliveries) until enabled again."""
    cleaned = (reason or "").strip()
    if len(cleaned) > 1000:
        raise InvalidInput.field("reason", "must be at most 1000 characters")
    integration = get(session, tenant_id, ref)
    set_enabled(integration, False, reason=cleaned or "disabled by a user")
    audit.record(
        session, actor=actor, action="integration.disable", target_type="integration",
        target_id=integration.id, tenant_id=tenant_id, detail={"reason": cleaned or None},
    )
    return public_view(session, integration)


@dataclass(frozen=True)
class Fingerprint:
    """What a user can change, secrets opened: equal before and after a save means a no-op."""

    checked: tuple[Any, ...]  # what the org checks see: connection, config
    other: tuple[Any, ...]

    @classmethod
    def of(cls, integration: Integration, vault: Vault) -> Fingerprint:
        return cls(
            checked=(integration.connection_id, integration.config),
            other=(
                integration.name, integration.schedule, list(integration.notify_user_ids),
                integration.enabled, integration.disabled_reason,
            ),
        )


def create(
    session: Session, vault: Vault, tenant_id: str, data: IntegrationInput, *,
    actor: str = "system",
) -> Integration:
    given = set(data.model_fields_set)
    for required in ("name", "kind", "config"):
        if getattr(data, required) is None:
            raise InvalidInput.field(required, "is required")
    assert data.kind is not None
    integration = Integration(
        id=new_id(), tenant_id=tenant_id, name="", kind=data.kind, enabled=True, failure_streak=0,
        notify_user_ids=[], config={},
    )
    session.add(integration)
    _apply(session, vault, integration, data, given)
    if "schedule" not in given and data.kind in SCHEDULED_KINDS:
        integration.schedule = default_schedule(integration.id)
    hooks.ensure_hook(integration, vault)  # an inbound form's hook id and secret, from the start
    session.flush()
    audit.record(
        session, actor=actor, action="integration.create", target_type="integration",
        target_id=integration.id, tenant_id=tenant_id,
        detail={"name": integration.name, "kind": integration.kind},
    )
    return integration


def update(
    session: Session, vault: Vault, tenant_id: str, ref: str, data: IntegrationInput, *,
    actor: str = "system",
) -> Integration:
    integration = get(session, tenant_id, ref)
    given = set(data.model_fields_set)
    _apply(session, vault, integration, data, given)
    integration.updated_at = utcnow()
    audit.record(
        session, actor=actor, action="integration.update", target_type="integration",
        target_id=integration.id, tenant_id=tenant_id, detail={"fields": sorted(given)},
    )
    return integration


def delete(session: Session, tenant_id: str, ref: str, *, actor: str = "system") -> None:
    """Delete with its runs, events, sync state and queued messages (the database cascades)."""
    integration = get(session, tenant_id, ref)
    if integration.running_run_id is not None:
        raise Conflict(
            f"integration {integration.name!r} is running; delete it when the run has ended",
            details=[{"field": "integration", "reason": "a run is in progress"}],
        )
    audit.record(
        session, actor=actor, action="integration.delete", target_type="integration",
        target_id=integration.id, tenant_id=tenant_id, detail={"name": integration.name},
    )
    session.delete(integration)


def connection_name(session: Session, integration: Integration) -> str | None:
    """The attached connection's name; None when the integration is not connected."""
    if not integration.connection_id:
        return None
    return connections_service.get(session, integration.tenant_id, integration.connection_id).name


def notify_emails(session: Session, integration: Integration) -> list[str]:
    users = [session.get(User, uid) for uid in integration.notify_user_ids]
    return [u.email for u in users if u is not None]


class IntegrationView(BaseModel):
    """An integration as every face shows it: the config (which holds no secret) and its
    state. The API answers it, the CLI prints it, the console renders it."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: str
    name: str
    kind: Kind
    connection: str | None = Field(description="The attached connection's name; null when none.")
    connected: bool
    config: dict[str, Any] = Field(description="The kind's configuration, as stored.")
    schedule: str | None = Field(description="Cron expression (UTC); null when not scheduled.")
    next_run_at: datetime | None
    notify: list[str] = Field(description="Emails of the users notified of failures.")
    enabled: bool
    disabled_reason: str | None
    failure_streak: int = Field(description="Failed runs in a row; 10 disable the integration.")
    running: bool
    created_at: datetime
    updated_at: datetime | None


def public_view(
    session: Session, integration: Integration, vault: Vault | None = None
) -> IntegrationView:
    """What may be shown: the config (which holds no secret) and the integration's state."""
    conn = connection_name(session, integration)
    return IntegrationView(
        id=integration.id,
        name=integration.name,
        kind=integration.kind,
        connection=conn,
        connected=conn is not None,
        config=dict(integration.config),
        schedule=integration.schedule,
        next_run_at=integration.next_run_at,
        notify=notify_emails(session, integration),
        enabled=integration.enabled,
        disabled_reason=integration.disabled_reason,
        failure_streak=integration.failure_streak,
        running=integration.running_run_id is not None,
        created_at=integration.created_at,
        updated_at=integration.updated_at,
    )


def show(session: Session, tenant_id: str, ref: str) -> IntegrationView:
    """One integration by name or id, as the faces show it."""
    return public_view(session, get(session, tenant_id, ref))


def listing(session: Session, tenant_id: str, kind: str | None = None) -> list[IntegrationView]:
    """The tenant's integrations by name (only those of `kind` when given), as shown."""
    return [public_view(session, i) for i in list_all(session, tenant_id, kind)]
