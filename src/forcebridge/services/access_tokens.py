"""Access tokens for API clients: HS256 JWTs signed with a key derived from the secret key.

Tokens are self-contained and never stored. Their signing key is derived by HKDF from the
runtime's secret key (a dedicated `info` label keeps it apart from the vault's use of the
same key), so no new secret needs configuring. The header's `kid` names the secret key it
came from, so tokens signed before `secrets rotate-key` still verify while the old key is a
fallback. Pure logic: the caller passes the keys and the current time.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from forcebridge.errors import Unauthenticated
from forcebridge.vault import key_id

ISSUER = "forcebridge"
AUDIENCE = "forcebridge-api"
_ALGORITHM = "HS256"
_HKDF_INFO = b"forcebridge/api-client-access-token/v1"
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "tid", "scope"]


class InvalidToken(Unauthenticated):
    """A bearer token that is not a valid, unexpired forcebridge access token."""


@dataclass(frozen=True)
class AccessClaims:
    """What a verified token says: which client (row id), tenant, scopes, and when."""

    client_ref: str
    tenant_id: str
    scopes: frozenset[str]
    issued_at: datetime
    expires_at: datetime
    generation: int = 0  # the client's token generation when issued (see `ApiClient`)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: AccessClaims

    def __repr__(self) -> str:
        return f"IssuedToken(client_ref={self.claims.client_ref!r}, token=***)"

    @property
    def expires_in(self) -> int:
        return int((self.claims.expires_at - self.claims.issued_at).total_seconds())


def _derive(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
    return hkdf.derive(secret_key.strip().encode())


class SigningKeys:
    """Signs with the key derived from the primary secret key; verifies with any of them."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is needed")
        self._primary = key_id(secret_keys[0])
        self._keys: dict[str, bytes] = {}
        for key in secret_keys:
            self._keys.setdefault(key_id(key), _derive(key))

    def __repr__(self) -> str:
        return f"SigningKeys(primary={self._primary}, keys={len(self._keys)})"

    def issue(
        self,
        *,
        client_ref: str,
        tenant_id: str,
        scopes: Sequence[str],
        now: datetime,
        ttl_seconds: int,
        generation: int = 0,
    ) -> IssuedToken:
        # JWT times are whole seconds; truncate so the claims we report match the token.
        issued = now.astimezone(UTC).replace(microsecond=0)
        expires = issued + timedelta(seconds=ttl_seconds)
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": client_ref,
            "tid": tenant_id,
            "scope": " ".join(sorted(scopes)),
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_hex(8),
            "gen": generation,
        }
        token = jwt.encode(
            payload,
            self._keys[self._primary],
            algorithm=_ALGORITHM,
            headers={"kid": self._primary, "typ": "at+jwt"},
        )
        claims = AccessClaims(
            client_ref, tenant_id, frozenset(scopes), issued, expires, generation
        )
        return IssuedToken(token=token, claims=claims)

    def verify(self, token: str, *, now: datetime) -> AccessClaims:
        """The token's claims, or `InvalidToken` (never saying more than expired/invalid)."""
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(str(header.get("kid", "")))
            if key is None:
                raise InvalidToken("invalid access token")
            # Expiry is checked below against the caller's clock, not PyJWT's.
            payload = jwt.decode(
                token,
                key,
                algorithms=[_ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": _REQUIRED, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid access token") from exc
        try:
            issued = datetime.fromtimestamp(int(payload["iat"]), UTC)
            expires = datetime.fromtimestamp(int(payload["exp"]), UTC)
            scopes = frozenset(str(payload["scope"]).split())
            claims = AccessClaims(
                str(payload["sub"]), str(payload["tid"]), scopes, issued, expires,
                int(payload.get("gen", 0)),
            )  # fmt: skip
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidToken("invalid access token") from exc
        if now >= expires:
            raise InvalidToken("access token expired")
        return claims
