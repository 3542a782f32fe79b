"""Hook ids and secrets: where a form posts (`POST /hooks/{hook_id}`) and how it proves itself.

Each inbound-form integration gets a hook id (public, in the URL) and a secret (sealed with
the vault). With `auth: token` the secret travels as `?token=...` in the hook URL, which is
what form tools that only know "a URL to post to" can do; with `auth: hmac` the sender signs
a timestamp and the raw body with it, Stripe's and Slack's scheme, so the secret never travels:

    X-Forcebridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + raw body>

A signed post whose timestamp is further from the server's clock than the tolerance (5 minutes
by default) is refused, and so is a signature already accepted (a replay).

A post that names an unknown hook, or a known hook with a missing or wrong secret, gets the
same 404: nobody learns whether a hook id exists without its secret. The secret is sealed,
not hashed, because HMAC needs it; it is shown once, by the rotation that makes it
(`forcebridge forms rotate-secret`), and rotating makes the old one invalid at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forcebridge.errors import Conflict, NotFound, Unauthenticated
from forcebridge.kinds.inbound_form import HookAuth
from forcebridge.settings import Settings
from forcebridge.store.form_posts import HookSignature
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


class SignatureExpired(Unauthenticated):
    """A correctly signed post whose timestamp is outside the tolerance."""

    code = "signature_expired"


_HEADER = re.compile(r"^t=(\d{1,12}),(v1=[0-9a-f]{64}(?:,v1=[0-9a-f]{64})*)$")


@dataclass(frozen=True)
class Signed:
    """What an accepted signature was: its timestamp, and the MAC (kept to refuse replays)."""

    timestamp: int
    mac: str

    @property
    def signed_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)


def _mac(secret: str, timestamp: int, message: bytes) -> str:
    signed = f"{timestamp}.".encode() + message
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature(secret: str, message: bytes, timestamp: int) -> str:
    """The header value a sender puts in X-Forcebridge-Signature for `message` at `timestamp`
    (unix seconds): `t=<timestamp>,v1=<hex>`."""
    return f"t={timestamp},v1={_mac(secret, timestamp, message)}"


def _parse(header: str | None) -> tuple[int, list[str]] | None:
    found = _HEADER.match((header or "").strip().lower().replace(" ", ""))
    if found is None:
        return None
    return int(found.group(1)), [part[3:] for part in found.group(2).split(",")]


def verify(
    integration: Integration | None, vault: Vault, *, token: str | None,
    signature_header: str | None, signed: bytes, now: float, tolerance: int,
) -> tuple[Integration, Signed | None]:
    """The integration when the caller proved the secret (and, signed, what was signed);
    the same NotFound otherwise.

    Comparisons are constant-time, and an unknown hook costs a comparison too, so neither
    the answer nor its timing says whether the hook exists. Only a caller that proved the
    secret learns that its timestamp is outside the tolerance.
    """
    secret = vault.open(integration.hook_secret) if integration and integration.hook_secret \
        else new_secret()
    accepted: Signed | None = None
    if integration is not None and auth_of(integration) == "hmac":
        parsed = _parse(signature_header)
        timestamp, given = parsed if parsed is not None else (0, [""])
        expected = _mac(secret, timestamp, signed).encode()
        matches = [g for g in given if hmac.compare_digest(g.encode(), expected)]
        ok = parsed is not None and bool(matches)
        accepted = Signed(timestamp, matches[0]) if ok else None
    else:
        ok = hmac.compare_digest((token or "").encode(), secret.encode())
    if integration is None or integration.hook_secret is None or not ok:
        raise NotFound(NO_HOOK_MESSAGE)
    if accepted is not None and abs(now - accepted.timestamp) > tolerance:
        raise SignatureExpired(
            f"the signature's timestamp is {int(abs(now - accepted.timestamp))} s from the "
            f"server's clock; posts are accepted within {tolerance} s (sign with the current "
            "time)",
            details=[{"field": SIGNATURE_HEADER, "reason": "timestamp outside the tolerance"}],
        )
    return integration, accepted


def remember(session: Session, integration: Integration, signed: Signed, *, now: float,
             tolerance: int) -> None:
    """Keep an accepted signature for as long as its timestamp is within the tolerance; the
    same signature again is a replay (409). Older ones are dropped: they would be refused as
    expired anyway."""
    horizon = datetime.fromtimestamp(now - tolerance - 1, UTC)
    session.execute(
        delete(HookSignature).where(
            HookSignature.integration_id == integration.id, HookSignature.signed_at < horizon
        )
    )
    seen = session.get(HookSignature, (integration.id, signed.mac))
    if seen is not None:
        raise _replayed()
    session.add(HookSignature(integration_id=integration.id, signature=signed.mac,
                              signed_at=signed.signed_at))
    try:
        session.flush()
    except IntegrityError:  # another process took the same signature first
        raise _replayed() from None


def _replayed() -> Conflict:
    return Conflict(
        "this signed post was received already (a replay); sign each post anew",
        details=[{"field": SIGNATURE_HEADER, "reason": "signature already used"}],
    )
