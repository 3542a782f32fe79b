"""A tenant's alert channels: saving them, showing them without their secrets, and testing one.

A Slack incoming-webhook URL is itself a credential and a webhook URL may carry one, so both
are sealed at rest and shown only as scheme and host. A webhook's signing secret is made at
creation (or given) and shown once, in the answer that made it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forcebridge.alerts import RULES, destinations, send_due
from forcebridge.alerts.messages import test_body
from forcebridge.errors import Conflict, InvalidInput
from forcebridge.runtime import Runtime
from forcebridge.services import audit, lookup, validation
from forcebridge.settings import Settings
from forcebridge.store.alerts import AlertChannel, AlertIncident, AlertMessage
from forcebridge.store.models import Tenant
from forcebridge.store.types import utcnow
from forcebridge.vault import Vault

KINDS = ("email", "slack", "webhook")
ChannelKind = Literal["email", "slack", "webhook"]
RuleName = Literal["integration_disabled", "failed_runs", "connection_reauthorization",
                   "dead_letters", "api_budget", "schedule_missed"]


class AlertChannelInput(BaseModel):
    """What a user says about a channel (API, CLI, console). On update only the fields given
    change; `rules` empty means every rule."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200)
    kind: ChannelKind | None = None
    url: str | None = Field(default=None, max_length=2000, description=(
        "Slack: the incoming-webhook URL; webhook: where the signed JSON is posted."))
    recipients: list[str] | None = Field(default=None, description="Email: the addresses.")
    rules: list[RuleName] | None = Field(default=None, description=(
        "Rules the channel hears of (default: all): " + ", ".join(RULES)))
    failed_runs: int | None = Field(default=None, ge=1, le=1000, description=(
        "failed_runs: how many failed runs in a row raise it (default 3)."))
    signing_secret: str | None = Field(default=None, min_length=16, max_length=200,
                                       description="Webhook: the HMAC secret (default: made).")
    enabled: bool | None = None


@dataclass
class SavedChannel:
    channel: AlertChannel
    signing_secret: str | None  # only when this save made or set it: shown once


def get(session: Session, tenant_id: str, ref: str) -> AlertChannel:
    return lookup.one(session, AlertChannel, tenant_id, ref, what="alert channel")


def list_all(session: Session, tenant_id: str) -> list[AlertChannel]:
    return list(session.scalars(select(AlertChannel).where(AlertChannel.tenant_id == tenant_id)
                                .order_by(AlertChannel.name)))


def _url(value: str, allowed_hosts: Sequence[str], field: str = "url") -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput.field(field, "must be an http(s) URL like https://hooks.example.com/x")
    refused = destinations.refusal(value, allowed_hosts)
    if refused is not None:
        raise InvalidInput.field(field, f"must not reach the server's own network: {refused}")
    return value


def _apply(channel: AlertChannel, data: AlertChannelInput, vault: Vault,
           allowed_hosts: Sequence[str]) -> str | None:
    """Copy the given fields onto `channel`, checked; the signing secret it set, if any."""
    if data.name is not None:
        channel.name = validation.name(data.name)
    if data.kind is not None:
        channel.kind = data.kind
    if data.url is not None:
        channel.url = vault.seal(_url(data.url, allowed_hosts)) if data.url else None
    if data.recipients is not None:
        channel.recipients = [validation.email(r, f"recipients.{i}")
                              for i, r in enumerate(data.recipients)]
    if data.rules is not None:
        channel.rules = sorted(set(data.rules)) or list(RULES)
    if data.failed_runs is not None:
        channel.failed_runs = data.failed_runs
    if data.enabled is not None:
        channel.enabled = data.enabled
    made = None
    if data.signing_secret is not None:
        made = data.signing_secret
    elif channel.kind == "webhook" and not channel.signing_secret:
        made = "fbwh_" + secrets.token_urlsafe(32)
    if made is not None:
        channel.signing_secret = vault.seal(made)
    _check(channel)
    return made


def _check(channel: AlertChannel) -> None:
    if channel.kind in ("slack", "webhook") and not channel.url:
        raise InvalidInput.field("url", f"a {channel.kind} channel needs the URL to post to")
    if channel.kind == "email" and not channel.recipients:
        raise InvalidInput.field("recipients", "an email channel needs at least one address")


def create(session: Session, vault: Vault, tenant_id: str, data: AlertChannelInput, *,
           allowed_hosts: Sequence[str], actor: str = "system") -> SavedChannel:
    """A new channel; its URL may not reach a loopback, private or link-local address unless
    its host is among `allowed_hosts` (the operator's `alert_allowed_hosts`)."""
    if data.name is None:
        raise InvalidInput.field("name", "is required")
    if data.kind is None:
        raise InvalidInput.field("kind", f"is required: one of {', '.join(KINDS)}")
    channel = AlertChannel(tenant_id=tenant_id, name="", kind=data.kind, recipients=[],
                           rules=list(RULES), failed_runs=3, enabled=True)
    made = _apply(channel, data, vault, allowed_hosts)
    session.add(channel)
    _flush(session, channel.name)
    audit.record(session, actor=actor, action="alert_channel.create", target_type="alert_channel",
                 target_id=channel.id, tenant_id=tenant_id, detail={"kind": channel.kind})
    return SavedChannel(channel, made)


def update(session: Session, vault: Vault, tenant_id: str, ref: str, data: AlertChannelInput,
           *, allowed_hosts: Sequence[str], actor: str = "system") -> SavedChannel:
    channel = get(session, tenant_id, ref)
    if data.kind is not None and data.kind != channel.kind:
        raise InvalidInput.field("kind", "cannot change; make a new channel instead")
    made = _apply(channel, data, vault, allowed_hosts)
    _flush(session, channel.name)
    audit.record(session, actor=actor, action="alert_channel.update", target_type="alert_channel",
                 target_id=channel.id, tenant_id=tenant_id)
    return SavedChannel(channel, made)


def delete(session: Session, tenant_id: str, ref: str, *, actor: str = "system") -> None:
    channel = get(session, tenant_id, ref)
    audit.record(session, actor=actor, action="alert_channel.delete", target_type="alert_channel",
                 target_id=channel.id, tenant_id=tenant_id)
    session.delete(channel)


def _flush(session: Session, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"an alert channel named {name!r} exists already",
                       details=[{"field": "name", "reason": "taken"}]) from None


def queue_test(session: Session, settings: Settings, tenant_id: str, ref: str) -> int:
    """Queue a test message to the channel; its message id (alerts.send_due sends it)."""
    channel = get(session, tenant_id, ref)
    tenant = session.get(Tenant, tenant_id)
    message = AlertMessage(channel_id=channel.id, kind="test", body=test_body(
        tenant=tenant.name if tenant else "", channel=channel.name,
        public_url=settings.resolved_public_url, sent_at=utcnow()))
    session.add(message)
    session.flush()
    return message.id


async def send_test(rt: Runtime, tenant_id: str, ref: str) -> dict[str, Any]:
    """Queue a test message and send it now: `status` (sent, or pending with the `error`;
    it is retried like any alert), `attempts`."""

    def queue() -> int:
        with rt.db.begin() as session:
            return queue_test(session, rt.settings, tenant_id, ref)

    message_id = await anyio.to_thread.run_sync(queue)
    await send_due(rt, only=message_id)

    def outcome() -> dict[str, Any]:
        with rt.db.session() as session:
            message = session.get(AlertMessage, message_id)
            assert message is not None
            return {"status": message.status, "attempts": message.attempts,
                    "error": message.last_error}

    return await anyio.to_thread.run_sync(outcome)


def public_view(session: Session, vault: Vault, channel: AlertChannel) -> dict[str, Any]:
    """A channel as it may be shown: never its URL path or signing secret."""
    open_count = session.scalar(select(func.count()).select_from(AlertIncident).where(
        AlertIncident.channel_id == channel.id, AlertIncident.open_key.is_not(None)))
    last = session.scalar(select(AlertMessage).where(AlertMessage.channel_id == channel.id)
                          .order_by(AlertMessage.id.desc()).limit(1))
    return {
        "id": channel.id,
        "name": channel.name,
        "kind": channel.kind,
        "url": masked_url(vault, channel),
        "recipients": list(channel.recipients or []),
        "rules": list(channel.rules or []),
        "failed_runs": channel.failed_runs,
        "signing_secret": "set" if channel.signing_secret else "not set",
        "enabled": channel.enabled,
        "open_incidents": int(open_count or 0),
        "last_message": None if last is None else {
            "kind": last.kind, "status": last.status, "attempts": last.attempts,
            "error": last.last_error, "created_at": last.created_at, "sent_at": last.sent_at},
        "created_at": channel.created_at,
        "updated_at": channel.updated_at,
    }


def masked_url(vault: Vault, channel: AlertChannel) -> str | None:
    """Scheme and host of the channel's URL, the rest hidden (it may hold a credential)."""
    if not channel.url:
        return None
    parts = urlsplit(vault.open(channel.url))
    return f"{parts.scheme}://{parts.netloc}/***"


def incidents(session: Session, tenant_id: str, ref: str, *, limit: int = 50) -> list[AlertIncident]:
    channel = get(session, tenant_id, ref)
    return list(session.scalars(select(AlertIncident).where(AlertIncident.channel_id == channel.id)
                                .order_by(AlertIncident.opened_at.desc()).limit(limit)))
