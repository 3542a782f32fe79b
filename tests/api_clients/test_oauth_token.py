"""`POST /oauth/token` (RFC 6749 §4.4 client credentials) and using its tokens within scopes.

Error codes and statuses follow RFC 6749 §5.2; Basic client authentication §2.3.1.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from forcebridge.runtime import Runtime
from forcebridge.services.access_tokens import SigningKeys
from forcebridge.store.types import utcnow
from forcebridge.vault import generate_key
from tests.api_clients.conftest import token_for
from tests.conftest import bearer


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _oauth_error(resp: Any, status: int, error: str) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error", "error_description"} and body["error"] == error
    assert resp.headers["cache-control"] == "no-store"


def test_a_token_is_issued_in_the_oauth_shape_and_works_within_its_scopes(
    api: TestClient,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    key = new_tenant_key("acme")
    client = make_client(key, ["records:write", "integrations:read"])
    resp = token_for(api, client)
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store" and resp.headers["pragma"] == "no-cache"
    body = resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "integrations:read records:write"
    token = body["access_token"]
    me = api.get("/api/v1/whoami", headers=bearer(token)).json()
    assert me["kind"] == "api_client" and me["client_id"] == client["client_id"]
    assert me["scopes"] == ["integrations:read", "records:write"]
    granted = api.get("/api/v1/whoami", params={"scope": "records:write"}, headers=bearer(token))
    assert granted.status_code == 200
    # Outside its scopes: 403, both on a scoped route and on routes that need an API key.
    denied = api.get("/api/v1/whoami", params={"scope": "events:write"}, headers=bearer(token))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    assert api.post("/api/v1/test-scoped/events", headers=bearer(token)).status_code == 403
    for path in ("/api/v1/users", "/api/v1/api-keys", "/api/v1/api-clients"):
        assert api.get(path, headers=bearer(token)).status_code == 403, path
    # API keys keep full access, scoped routes included.
    assert api.post("/api/v1/test-scoped/events", headers=bearer(key)).json()["kind"] == "api_key"
    key_me = api.get("/api/v1/whoami", params={"scope": "events:write"}, headers=bearer(key))
    assert key_me.json()["kind"] == "api_key" and "events:write" in key_me.json()["scopes"]
    last_used = api.get(f"/api/v1/api-clients/{client['id']}", headers=bearer(key)).json()
    assert last_used["last_used_at"] is not None


def test_scoped_routes_accept_a_token_with_the_scope(
    api: TestClient,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    client = make_client(new_tenant_key("acme"), ["events:write"])
    token = token_for(api, client).json()["access_token"]
    resp = api.post("/api/v1/test-scoped/events", headers=bearer(token))
    assert resp.status_code == 200 and resp.json()["kind"] == "api_client"


def test_http_basic_and_a_narrowed_scope(
    api: TestClient,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    client = make_client(new_tenant_key("acme"), ["events:write", "records:write"])
    resp = api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "events:write"},
        headers=_basic(client["client_id"], client["client_secret"]),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["scope"] == "events:write"
    token = resp.json()["access_token"]
    assert api.post("/api/v1/test-scoped/events", headers=bearer(token)).status_code == 200
    narrowed = api.get("/api/v1/whoami", params={"scope": "records:write"}, headers=bearer(token))
    assert narrowed.status_code == 403
    _oauth_error(token_for(api, client, scope="integrations:read"), 400, "invalid_scope")
    unknown = token_for(api, client, scope="events:write everything")
    _oauth_error(unknown, 400, "invalid_scope")
    assert "'everything'" in unknown.json()["error_description"]


def test_refused_token_requests_answer_in_the_oauth_shape(
    api: TestClient,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    client = make_client(new_tenant_key("acme"), ["events:write"])
    _oauth_error(token_for(api, client, secret="fbcs_wrong"), 401, "invalid_client")
    unknown = {**client, "client_id": "fbc_00000000000000000000"}
    _oauth_error(token_for(api, unknown), 401, "invalid_client")
    basic = api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=_basic(client["client_id"], "fbcs_wrong"),
    )
    _oauth_error(basic, 401, "invalid_client")
    assert basic.headers["www-authenticate"].startswith("Basic")
    _oauth_error(token_for(api, client, grant_type="password"), 400, "unsupported_grant_type")
    no_grant = api.post("/oauth/token", data={"client_id": client["client_id"]})
    _oauth_error(no_grant, 400, "invalid_request")
    as_json = api.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "client_id": client["client_id"]},
    )
    _oauth_error(as_json, 400, "invalid_request")
    both = api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client["client_id"]},
        headers=_basic(client["client_id"], client["client_secret"]),
    )
    _oauth_error(both, 400, "invalid_request")
    repeated = api.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _oauth_error(repeated, 400, "invalid_request")
    no_secret = api.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": client["client_id"]}
    )
    _oauth_error(no_secret, 401, "invalid_client")


def test_forged_or_malformed_tokens_are_refused(
    api: TestClient,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    client = make_client(new_tenant_key("acme"), ["events:write"])
    good = token_for(api, client).json()["access_token"]
    assert api.get("/api/v1/whoami", headers=bearer(good)).status_code == 200
    # Signed with another secret key (same claims shape): refused.
    other = SigningKeys([generate_key()]).issue(
        client_ref=client["id"],
        tenant_id=api.get("/api/v1/whoami", headers=bearer(good)).json()["tenant_id"],
        scopes=["events:write"],
        now=utcnow(),
        ttl_seconds=3600,
    )
    for bad in (other.token, good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "garbage"):
        resp = api.get("/api/v1/whoami", headers=bearer(bad))
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"


def test_the_token_lifetime_comes_from_settings(
    api: TestClient,
    runtime: Runtime,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    runtime.settings.api_client_token_ttl_seconds = 120
    client = make_client(new_tenant_key("acme"), ["events:write"])
    assert token_for(api, client).json()["expires_in"] == 120
