"""Session-level operations on a tenant's inbound forms: find one, show or rotate its hook.

The hook URL and secret are shown only to API keys and the CLI (never in an integration's
public view, a log line or an event); `rotate_secret` makes the old secret invalid as soon as
its transaction commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forcebridge.errors import InvalidInput
from forcebridge.kinds.hooks import KIND, HookInfo, auth_of, ensure_hook, hook_url, new_secret
from forcebridge.services import audit
from forcebridge.services import integrations as integrations_service
from forcebridge.settings import Settings
from forcebridge.store.integrations import Integration
from forcebridge.vault import Vault


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
    """The hook's URL and secret, made first if the integration has none yet."""
    ensure_hook(integration, vault)
    session.flush()
    assert integration.hook_id is not None and integration.hook_secret is not None
    secret = vault.open(integration.hook_secret)
    auth = auth_of(integration)
    url = hook_url(settings, integration.hook_id, secret, auth)
    return HookInfo(integration.hook_id, auth, url, secret)


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
        session, actor=actor, action="integration.rotate_hook_secret",
        target_type="integration", target_id=integration.id, tenant_id=tenant_id,
    )
    return hook_info(session, settings, vault, integration)
