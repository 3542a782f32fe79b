"""Rotate and revoke: the secret fails at once, tokens already issued live until they expire.

That is the design's rule ("rotate makes the old secret invalid at once while access tokens
already issued live until they expire; revoke does the same without a new secret"). Expiry
is driven by the API's clock dependency, moved forward without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from forcebridge.runtime import Runtime
from tests.api_clients.conftest import Clock, token_for
from tests.conftest import bearer


def _ok(api: TestClient, token: str) -> int:
    return api.get("/api/v1/whoami", headers=bearer(token)).status_code


@dataclass
class Issued:
    """A tenant's API key, an events:write API client of that tenant, a token issued to it."""

    api: TestClient
    key: str
    client: dict[str, Any]
    token: str

    def act(self, action: str, query: str = "") -> httpx.Response:
        """Rotate or revoke the client (`query`: `?end_tokens=...`)."""
        return self.api.post(
            f"/api/v1/api-clients/{self.client['id']}/{action}{query}", headers=bearer(self.key)
        )


@pytest.fixture
def issued(
    api: TestClient,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> Issued:
    key = new_tenant_key("acme")
    client = make_client(key, ["events:write"])
    return Issued(api, key, client, token_for(api, client).json()["access_token"])


def test_rotation_refuses_the_old_secret_at_once_and_lets_tokens_expire(
    api: TestClient,
    runtime: Runtime,
    clock: Clock,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    runtime.settings.api_client_token_ttl_seconds = 600
    key = new_tenant_key("acme")
    client = make_client(key, ["events:write"])
    before = token_for(api, client).json()["access_token"]
    clock.advance(60)
    rotated = api.post(f"/api/v1/api-clients/{client['id']}/rotate", headers=bearer(key))
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["client_secret"]
    assert new_secret != client["client_secret"] and rotated.json()["rotated_at"]
    assert token_for(api, client).json()["error"] == "invalid_client"
    assert _ok(api, before) == 200
    after = token_for(api, client, secret=new_secret).json()["access_token"]
    assert _ok(api, after) == 200
    clock.advance(600 - 60)  # the pre-rotation token's lifetime is over, the new one's is not
    assert _ok(api, before) == 401
    assert _ok(api, after) == 200
    clock.advance(60)
    assert _ok(api, after) == 401


def test_revocation_refuses_the_secret_at_once_and_lets_tokens_expire(
    api: TestClient, clock: Clock, issued: Issued
) -> None:
    client, token = issued.client, issued.token
    revoked = issued.act("revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = token_for(api, client)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert _ok(api, token) == 200
    assert api.post("/api/v1/test-scoped/events", headers=bearer(token)).status_code == 200
    clock.advance(3599)
    assert _ok(api, token) == 200
    clock.advance(1)
    assert _ok(api, token) == 401
    again = issued.act("revoke")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    no_rotate = issued.act("rotate")
    assert no_rotate.status_code == 409


def test_rotating_a_client_leaves_other_clients_and_keys_alone(
    api: TestClient,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    key = new_tenant_key("acme")
    one, two = make_client(key, ["events:write"], "one"), make_client(key, ["records:write"], "two")
    api.post(f"/api/v1/api-clients/{one['client_id']}/rotate", headers=bearer(key))
    api.post(f"/api/v1/api-clients/{one['client_id']}/revoke", headers=bearer(key))
    assert token_for(api, two).status_code == 200
    assert api.get("/api/v1/users", headers=bearer(key)).status_code == 200


def test_rotate_with_end_tokens_ends_issued_tokens_now_and_new_ones_work(
    api: TestClient, issued: Issued
) -> None:
    client, leaked = issued.client, issued.token
    assert _ok(api, leaked) == 200
    rotated = api.post(  # by name: either names the client
        f"/api/v1/api-clients/{client['name']}/rotate?end_tokens=true", headers=bearer(issued.key)
    )
    assert rotated.status_code == 200, rotated.text
    assert _ok(api, leaked) == 401
    fresh = token_for(api, client, secret=rotated.json()["client_secret"]).json()["access_token"]
    assert _ok(api, fresh) == 200  # issued in the same second as the ending, still good


def test_revoke_with_end_tokens_ends_them_also_after_a_plain_revoke(
    api: TestClient, issued: Issued
) -> None:
    token = issued.token
    issued.act("revoke")
    assert _ok(api, token) == 200  # a plain revoke lets it live
    ended = issued.act("revoke", "?end_tokens=yes")
    assert ended.status_code == 200 and _ok(api, token) == 401
