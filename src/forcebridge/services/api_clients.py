"""API clients: OAuth client credentials Salesforce uses to call forcebridge.

A client has a public id (`fbc_...`) and a secret (`fbcs_...`) shown once; only the secret's
SHA-256 hash is kept (a 256-bit random value needs no slow KDF). The secret buys short-lived
access tokens at `/oauth/token`; tokens carry the client's scopes.

The timing rule (the issue's, and the design's): rotating or revoking stops the *secret* at
once, while access tokens already issued keep working until they expire. So checking a token
never looks at the secret: only that the client still exists and the token was issued no
later than its revocation. Integrations never use API clients, so nothing else breaks.
For a leaked secret, rotate and revoke can also end the tokens already issued
(`end_tokens`): each token carries the client's token generation, and ending moves it on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.errors import Conflict, ForcebridgeError, InvalidInput
from forcebridge.services import audit, lookup, validation
from forcebridge.services.access_tokens import (
    AccessClaims,
    InvalidToken,
    IssuedToken,
    SigningKeys,
)
from forcebridge.store.api_clients import ApiClient
from forcebridge.store.types import utcnow

CLIENT_ID_PREFIX = "fbc_"
SECRET_PREFIX = "fbcs_"  # noqa: S105  (a public prefix, not a secret)

# The fixed vocabulary: what a scope lets a token do. Routes name one with `require_scope`.
SCOPES: dict[str, str] = {
    "records:write": "push records into an integration's API source",
    "events:write": "submit product events for publishing",
    "integrations:read": "read integrations, their runs and events",
    "integrations:write": "run, enable or disable integrations",
}

_logger = log.get("services.api_clients")


class TokenRequestError(ForcebridgeError):
    """A refused `/oauth/token` request; `oauth_error` is the RFC 6749 §5.2 error code."""

    def __init__(self, oauth_error: str, description: str) -> None:
        super().__init__(description)
        self.code = oauth_error

    @property
    def oauth_error(self) -> str:
        return self.code


@dataclass(frozen=True)
class IssuedClient:
    """A client with a freshly made secret; `secret` is never stored."""

    client: ApiClient
    secret: str

    def __repr__(self) -> str:
        return f"IssuedClient(client_id={self.client.client_id!r}, secret=***)"


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_secret() -> str:
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


def validate_scopes(values: Iterable[str], field: str = "scopes") -> list[str]:
    """The scopes sorted and de-duplicated; an unknown one fails naming it."""
    cleaned = sorted({v.strip() for v in values if v.strip()})
    if not cleaned:
        raise InvalidInput.field(field, f"name at least one scope of: {', '.join(SCOPES)}")
    unknown = [s for s in cleaned if s not in SCOPES]
    if unknown:
        details = [
            {"field": field, "reason": f"unknown scope {s!r}; known: {', '.join(SCOPES)}"}
            for s in unknown
        ]
        raise InvalidInput.from_details(details)
    return cleaned


def create(
    session: Session,
    tenant_id: str,
    name: str,
    scopes: Iterable[str],
    *,
    actor: str = "system",
) -> IssuedClient:
    name = validation.name(name)
    granted = validate_scopes(scopes)
    raw = _new_secret()
    client = ApiClient(
        tenant_id=tenant_id,
        name=name,
        client_id=f"{CLIENT_ID_PREFIX}{secrets.token_hex(10)}",
        secret_hash=hash_secret(raw),
        scopes=granted,
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="api_client.create",
        target_type="api_client",
        target_id=client.id,
        tenant_id=tenant_id,
        detail={"client_id": client.client_id, "scopes": granted},
    )
    return IssuedClient(client=client, secret=raw)


def get(session: Session, tenant_id: str, ref: str) -> ApiClient:
    """A client of this tenant by its id, its public client id (`fbc_...`) or its name."""
    return lookup.one(
        session, ApiClient, tenant_id, ref, what="api client", keys=("client_id", "name")
    )


def list_all(session: Session, tenant_id: str) -> list[ApiClient]:
    stmt = select(ApiClient).where(ApiClient.tenant_id == tenant_id).order_by(ApiClient.created_at)
    return list(session.scalars(stmt))


def _end_tokens(client: ApiClient) -> None:
    """Every access token issued so far stops working now (they carry the old generation)."""
    client.token_generation = (client.token_generation or 0) + 1


def rotate(
    session: Session, tenant_id: str, ref: str, *, actor: str = "system", end_tokens: bool = False
) -> IssuedClient:
    """A new secret, shown once; the old one stops working now. Issued tokens live on until
    they expire, unless `end_tokens` (a leaked secret): then they stop now too."""
    client = get(session, tenant_id, ref)
    if client.revoked_at is not None:
        raise Conflict(
            f"api client {ref} is revoked; create a new one",
            details=[{"field": "id", "reason": "revoked"}],
        )
    raw = _new_secret()
    client.secret_hash = hash_secret(raw)
    client.rotated_at = utcnow()
    if end_tokens:
        _end_tokens(client)
    audit.record(
        session,
        actor=actor,
        action="api_client.rotate",
        target_type="api_client",
        target_id=client.id,
        tenant_id=tenant_id,
        detail={"client_id": client.client_id, "end_tokens": end_tokens},
    )
    return IssuedClient(client=client, secret=raw)


def revoke(
    session: Session, tenant_id: str, ref: str, *, actor: str = "system", end_tokens: bool = False
) -> ApiClient:
    """The secret stops working now; tokens issued before live until they expire, unless
    `end_tokens`: then they stop now too (also for a client revoked earlier)."""
    client = get(session, tenant_id, ref)
    if end_tokens:
        _end_tokens(client)
        audit.record(
            session, actor=actor, action="api_client.end_tokens", target_type="api_client",
            target_id=client.id, tenant_id=tenant_id, detail={"client_id": client.client_id},
        )  # fmt: skip
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="api_client.revoke",
            target_type="api_client",
            target_id=client.id,
            tenant_id=tenant_id,
            detail={"client_id": client.client_id},
        )
    return client


def _requested_scopes(client: ApiClient, requested: str | None) -> list[str]:
    if requested is None or not requested.strip():
        return list(client.scopes)
    wanted = sorted(set(requested.split()))
    for scope in wanted:
        if scope not in SCOPES:
            raise TokenRequestError("invalid_scope", f"unknown scope {scope!r}")
        if scope not in client.scopes:
            raise TokenRequestError(
                "invalid_scope", f"scope {scope!r} is not granted to this client"
            )
    return wanted


def grant(
    session: Session,
    keys: SigningKeys,
    *,
    client_id: str,
    client_secret: str,
    scope: str | None,
    now: datetime,
    ttl_seconds: int,
) -> IssuedToken:
    """The client-credentials grant: check the secret, then sign a token for the scopes."""
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    digest = hash_secret(client_secret)
    # Unknown client, wrong secret and revoked client all read the same to the caller.
    if (
        client is None
        or client.revoked_at is not None
        or not hmac.compare_digest(client.secret_hash, digest)
    ):
        raise TokenRequestError("invalid_client", "client authentication failed")
    scopes = _requested_scopes(client, scope)
    issued = keys.issue(
        client_ref=client.id,
        tenant_id=client.tenant_id,
        scopes=scopes,
        now=now,
        ttl_seconds=ttl_seconds,
        generation=client.token_generation,
    )
    client.last_used_at = now
    log.event(
        _logger,
        "api client token issued",
        client_id=client.client_id,
        tenant_id=client.tenant_id,
        scope=" ".join(scopes),
        expires_in=issued.expires_in,
    )
    return issued


def resolve_token(
    session: Session, keys: SigningKeys, token: str, *, now: datetime
) -> tuple[ApiClient, AccessClaims]:
    """The client a bearer access token speaks for, or `InvalidToken`.

    Deliberately independent of the current secret (rotation must not cut tokens short);
    a deleted client (or tenant) ends its tokens, and a token dated after the revocation
    cannot be genuine.
    """
    claims = keys.verify(token, now=now)
    client = session.get(ApiClient, claims.client_ref)
    if client is None or client.tenant_id != claims.tenant_id:
        raise InvalidToken("invalid access token")
    if client.revoked_at is not None and claims.issued_at > client.revoked_at:
        raise InvalidToken("invalid access token")
    if claims.generation != client.token_generation:  # ended by rotate/revoke --end-tokens
        raise InvalidToken("invalid access token")
    return client, claims
