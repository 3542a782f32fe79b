"""Hook ids and secrets: where a form posts (`POST /hooks/{hook_id}`) and how it proves itself.

Each inbound-form integration gets a hook id (public, in the URL) and a secret (sealed with
the vault). With `auth: token` the secret travels as `?token=...` in the hook URL, which is
what form tools that only know "a URL to post to" can do; with `auth: hmac` the sender signs
the raw body with it (`X-Forcebridge-Signature: sha256=<hex>`), so the secret never travels.

A post that names an unknown hook, or a known hook with a missing or wrong secret, gets the
same 404: nobody learns whether a hook id exists without its secret. The secret is sealed,
not hashed, because HMAC needs it and because the tenant must be able to read its hook URL
again (`forcebridge forms url`); rotating makes the old one invalid at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge.errors import NotFound
from forcebridge.forms.config import HookAuth
from forcebridge.settings import Settings
from forcebridge.store.integrations import Integration
from forcebridge.vault import Vault

KIND = "inbound_form"
HOOK_PREFIX = "fh_"
SIGNATURE_HEADER = "X-Forcebridge-Signature"
TOKEN_PARAM = "token"  # noqa: S105  (the name of the URL parameter, not a secret)
NO_HOOK_MESSAGE = "no hook here, or its secret does not match"


@dataclass(frozen=True)
class HookInfo:
    """Where and how a form posts: the URL to give the form tool and the secret."""

    hook_id: str
    auth: HookAuth
    url: str  # with ?token=... for token hooks: the whole thing is the credential
    secret: str

    def to_json(self) -> dict[str, str]:
        return {"hook_id": self.hook_id, "auth": self.auth, "url": self.url, "secret": self.secret}


def new_hook_id() -> str:
    return HOOK_PREFIX + secrets.token_urlsafe(18)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hook_path(hook_id: str) -> str:
    return f"/hooks/{hook_id}"


def hook_url(settings: Settings, hook_id: str, secret: str, auth: HookAuth) -> str:
    """The public URL of a hook; a token hook's URL carries the secret."""
    url = settings.resolved_public_url + hook_path(hook_id)
    return f"{url}?{TOKEN_PARAM}={secret}" if auth == "token" else url


def ensure_hook(integration: Integration, vault: Vault) -> str | None:
    """Give an inbound-form integration its hook id and secret if it has none yet.

    Called when the integration is created (and safe to call on every save): answers the new
    secret when one was made, None when the hook already existed. Other kinds are left alone.
    """
    if integration.kind != KIND or (integration.hook_id and integration.hook_secret):
        return None
    secret = new_secret()
    integration.hook_id = integration.hook_id or new_hook_id()
    integration.hook_secret = vault.seal(secret)
    return secret


def auth_of(integration: Integration) -> HookAuth:
    auth = (integration.config or {}).get("auth", "token")
    return "hmac" if auth == "hmac" else "token"


def find(session: Session, hook_id: str) -> Integration | None:
    """The inbound-form integration behind a hook id, any tenant (the id is global)."""
    if not hook_id.startswith(HOOK_PREFIX) or len(hook_id) > 40:
        return None
    found = session.scalar(select(Integration).where(Integration.hook_id == hook_id))
    return found if found is not None and found.kind == KIND else None


def signature(secret: str, message: bytes) -> str:
    """The header value a sender puts in X-Forcebridge-Signature."""
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    integration: Integration | None, vault: Vault, *, token: str | None,
    signature_header: str | None, signed: bytes,
) -> Integration:
    """The integration when the caller proved the secret; the same NotFound otherwise.

    Comparisons are constant-time, and an unknown hook costs a comparison too, so neither
    the answer nor its timing says whether the hook exists.
    """
    secret = vault.open(integration.hook_secret) if integration and integration.hook_secret \
        else new_secret()
    if integration is not None and auth_of(integration) == "hmac":
        given = (signature_header or "").strip().lower()
        ok = hmac.compare_digest(given.encode(), signature(secret, signed).encode())
    else:
        ok = hmac.compare_digest((token or "").encode(), secret.encode())
    if integration is None or integration.hook_secret is None or not ok:
        raise NotFound(NO_HOOK_MESSAGE)
    return integration
