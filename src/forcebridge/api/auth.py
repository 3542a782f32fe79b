"""Who is calling: an API key (`Bearer fbk_...`) or an API client's access token (`Bearer eyJ...`).

API keys have full access to their tenant. An API client's token is limited to its scopes,
and only routes that name a scope with `require_scope` accept one: the plain `principal`
dependency (every other route) refuses it, so a Salesforce Named Credential can never manage
keys, clients or connections, whatever routes are added later without a scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fastapi import Depends, Request

from forcebridge.errors import Forbidden, Unauthenticated
from forcebridge.runtime import Runtime
from forcebridge.services import api_clients, api_keys
from forcebridge.services.access_tokens import SigningKeys
from forcebridge.store.types import utcnow

Kind = Literal["api_key", "api_client"]


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    key_id: str  # the credential's id: an API key's, or an API client's row id
    admin: bool
    kind: Kind = "api_key"
    scopes: frozenset[str] | None = None  # None: an API key, which has full access

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.key_id}"

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def check_scope(self, scope: str) -> None:
        if not self.has_scope(scope):
            raise Forbidden(
                f"this request needs the scope {scope!r}",
                details=[{"field": "scope", "reason": f"token lacks {scope!r}"}],
            )


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def clock() -> datetime:
    """The current time; a dependency so tests can move it to a token's expiry."""
    return utcnow()


def signing_keys(rt: Runtime) -> SigningKeys:
    """Keys for access tokens, derived from the secret key and every fallback still accepted."""
    keys = [rt.primary_key()]
    keys += [k.get_secret_value() for k in rt.settings.secret_key_fallbacks]
    # Mid-rotation both files exist (see Runtime.vault); tokens signed under either verify.
    for path in (rt.pending_key_file, rt.previous_key_file):
        if path.exists():
            keys.append(path.read_text().strip())
    return SigningKeys(keys)


def authenticated(request: Request, now: datetime = Depends(clock)) -> Principal:
    """Any valid credential: an API key or an API client's unexpired access token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("missing API key: send 'Authorization: Bearer fbk_...'")
    rt = runtime(request)
    with rt.db.begin() as session:
        if token.startswith(api_keys.PREFIX):
            key = api_keys.authenticate(session, token)
            return Principal(tenant_id=key.tenant_id, key_id=key.id, admin=key.admin)
        client, claims = api_clients.resolve_token(session, signing_keys(rt), token, now=now)
        return Principal(
            tenant_id=client.tenant_id,
            key_id=client.id,
            admin=False,
            kind="api_client",
            scopes=claims.scopes,
        )


def principal(who: Principal = Depends(authenticated)) -> Principal:
    """An API key: what every route without a named scope needs."""
    if who.kind != "api_key":
        raise Forbidden("this endpoint needs an API key; API client tokens reach scoped routes")
    return who


def require_scope(scope: str) -> Callable[..., Principal]:
    """A dependency admitting API keys and API client tokens that carry `scope`."""
    if scope not in api_clients.SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(who: Principal = Depends(authenticated)) -> Principal:
        who.check_scope(scope)
        return who

    return dependency


def admin(who: Principal = Depends(principal)) -> Principal:
    if not who.admin:
        raise Forbidden("this endpoint needs an admin API key")
    return who
