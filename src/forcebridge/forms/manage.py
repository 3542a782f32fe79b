"""Session-level operations on a tenant's inbound forms: find one, show or rotate its hook.

A hook's secret (and a token hook's URL, which carries it) is shown once, by the rotation
that makes it (`rotate_secret`); afterwards every face shows `hook_view`: the address, how it
authenticates, whether a secret is set and when it was rotated. Never in an integration's
view, a log line or an event. `rotate_secret` makes the old secret invalid as soon as its
transaction commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge.errors import InvalidInput
from forcebridge.kinds.hooks import (
    KIND,
    HookInfo,
    auth_of,
    ensure_hook,
    hook_path,
    hook_url,
    new_secret,
)
from forcebridge.services import audit
from forcebridge.services import integrations as integrations_service
from forcebridge.settings import Settings
from forcebridge.store.integrations import Integration
from forcebridge.store.models import AuditEntry
from forcebridge.vault import Vault

ROTATED = "integration.rotate_hook_secret"


class HookView(BaseModel):
    """A form's hook as every face shows it after the rotation that showed its secret."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    hook_id: str
    auth: str = Field(description="token (the secret is the URL's `token` parameter) or hmac "
                      "(the secret signs each post).")
    url: str = Field(description="Where the form posts; a token hook adds `?token=<secret>`.")
    secret: Literal["set", "not set"] = Field(description=(
        "Whether a secret is set; the secret itself is shown once, by rotate-secret."))
    secret_rotated_at: datetime | None = Field(description=(
        "When the secret was last rotated; null: it is the one made with the form, never "
        "shown (rotate to get one)."))


def form_integration(session: Session, tenant_id: str, ref: str) -> Integration:
    """The tenant's integration `ref` (name or id), refused unless it is an inbound form."""
    integration = integrations_service.get(session, tenant_id, ref)
    if integration.kind != KIND:
        raise InvalidInput.field(
            "integration",
            f"{integration.name!r} is an {integration.kind} integration, not an inbound form",
        )
    return integration


def hook_info(
    session: Session, settings: Settings, vault: Vault, integration: Integration
) -> HookInfo:
    """The hook's URL and secret, made first if the integration has none yet: for what posts
    to the hook here (the demo) and the rotation's answer, never a face's listing."""
    ensure_hook(integration, vault)
    session.flush()
    assert integration.hook_id is not None and integration.hook_secret is not None
    secret = vault.open(integration.hook_secret)
    auth = auth_of(integration)
    url = hook_url(settings, integration.hook_id, secret, auth)
    return HookInfo(integration.hook_id, auth, url, secret)


def hook_view(
    session: Session, settings: Settings, vault: Vault, integration: Integration
) -> HookView:
    """Where and how the form posts, without the secret: whether one is set, when rotated."""
    ensure_hook(integration, vault)
    session.flush()
    assert integration.hook_id is not None
    rotated = session.scalar(
        select(AuditEntry.created_at)
        .where(AuditEntry.action == ROTATED, AuditEntry.target_id == integration.id)
        .order_by(AuditEntry.created_at.desc()).limit(1)
    )
    return HookView(
        hook_id=integration.hook_id, auth=auth_of(integration),
        url=settings.resolved_public_url + hook_path(integration.hook_id),
        secret="set" if integration.hook_secret else "not set", secret_rotated_at=rotated,
    )


def rotate_secret(
    session: Session, settings: Settings, vault: Vault, tenant_id: str, ref: str, *,
    actor: str = "system",
) -> HookInfo:
    """A new secret, valid at once; the old one stops working with this commit.

    The hook id stays, so an HMAC sender only changes its key; a token hook's URL changes.
    """
    integration = form_integration(session, tenant_id, ref)
    ensure_hook(integration, vault)
    integration.hook_secret = vault.seal(new_secret())
    audit.record(
        session, actor=actor, action=ROTATED,
        target_type="integration", target_id=integration.id, tenant_id=tenant_id,
    )
    return hook_info(session, settings, vault, integration)
