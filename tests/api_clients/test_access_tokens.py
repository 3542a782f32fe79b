"""The token format on its own: signature, key ids, expiry against the caller's clock."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from forcebridge.services.access_tokens import InvalidToken, SigningKeys
from forcebridge.store.types import utcnow
from forcebridge.vault import generate_key


def test_tokens_verify_until_expiry_and_carry_their_claims() -> None:
    keys = SigningKeys([generate_key()])
    now = utcnow()
    issued = keys.issue(client_ref="c1", tenant_id="t1", scopes=["b", "a"], now=now, ttl_seconds=60)
    assert issued.expires_in == 60 and "***" in repr(issued) and issued.token not in repr(issued)
    claims = keys.verify(issued.token, now=now + timedelta(seconds=59))
    assert (claims.client_ref, claims.tenant_id, claims.scopes) == ("c1", "t1", {"a", "b"})
    with pytest.raises(InvalidToken, match="expired"):
        keys.verify(issued.token, now=claims.expires_at)


def test_fallback_keys_verify_old_tokens_and_unknown_keys_do_not() -> None:
    old, new = generate_key(), generate_key()
    token = (
        SigningKeys([old])
        .issue(client_ref="c", tenant_id="t", scopes=["a"], now=utcnow(), ttl_seconds=60)
        .token
    )
    assert SigningKeys([new, old]).verify(token, now=utcnow()).client_ref == "c"
    with pytest.raises(InvalidToken):
        SigningKeys([new]).verify(token, now=utcnow())


def test_unsigned_or_differently_signed_tokens_are_refused() -> None:
    keys = SigningKeys([generate_key()])
    issued = keys.issue(client_ref="c", tenant_id="t", scopes=["a"], now=utcnow(), ttl_seconds=60)
    header = jwt.get_unverified_header(issued.token)
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": header["kid"]})
    with pytest.raises(InvalidToken):
        keys.verify(unsigned, now=utcnow())
    other = jwt.encode(claims, b"x" * 32, algorithm="HS256", headers={"kid": header["kid"]})
    with pytest.raises(InvalidToken):
        keys.verify(other, now=utcnow())
    widened = {**claims, "scope": "a b c"}
    with pytest.raises(InvalidToken):
        keys.verify(jwt.encode(widened, b"y" * 32, headers={"kid": header["kid"]}), now=utcnow())
