"""Managing API clients: secrets shown once and hashed at rest, scopes, tenant isolation."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from forcebridge import log
from forcebridge.runtime import Runtime
from forcebridge.services import tenants
from forcebridge.store.api_clients import ApiClient
from forcebridge.store.models import AuditEntry
from tests.api_clients.conftest import token_for
from tests.conftest import bearer


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(
    api: TestClient,
    runtime: Runtime,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    key = new_tenant_key("acme")
    created = make_client(key, ["records:write", "events:write", "records:write"])
    secret = created["client_secret"]
    assert created["client_id"].startswith("fbc_") and secret.startswith("fbcs_")
    assert len(secret) > 40 and created["scopes"] == ["events:write", "records:write"]
    assert created["token_url"] == f"{runtime.settings.resolved_public_url}/oauth/token"
    listed = api.get("/api/v1/api-clients", headers=bearer(key)).json()
    one = api.get(f"/api/v1/api-clients/{created['id']}", headers=bearer(key)).json()
    by_client_id = api.get(f"/api/v1/api-clients/{created['client_id']}", headers=bearer(key))
    assert by_client_id.json() == one
    for shown in (*listed, one):
        assert "client_secret" not in shown and secret not in str(shown)
    with runtime.db.begin() as s:
        row = s.scalars(select(ApiClient)).one()
        audit = list(s.scalars(select(AuditEntry)))
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in str(vars(row))
        assert all(secret not in str(a.detail) for a in audit)
        assert "api_client.create" in {a.action for a in audit}


def test_unknown_and_missing_scopes_are_refused_naming_them(
    api: TestClient, new_tenant_key: Callable[[str], str]
) -> None:
    key = new_tenant_key("acme")
    resp = api.post(
        "/api/v1/api-clients",
        json={"name": "x", "scopes": ["records:write", "records:delete"]},
        headers=bearer(key),
    )
    assert resp.status_code == 422
    details = resp.json()["error"]["details"]
    assert [d["field"] for d in details] == ["scopes.1"]  # the one unknown, by position
    assert "'integrations:read'" in details[0]["reason"]  # the reason lists the known ones
    empty = api.post("/api/v1/api-clients", json={"name": "x", "scopes": []}, headers=bearer(key))
    assert empty.status_code == 422 and empty.json()["error"]["details"][0]["field"] == "scopes"
    blank = api.post(
        "/api/v1/api-clients", json={"name": "x", "scopes": [" "]}, headers=bearer(key)
    )
    assert blank.status_code == 422
    assert api.get("/api/v1/api-clients", headers=bearer(key)).json() == []


def test_a_tenant_never_sees_another_tenants_clients(
    api: TestClient,
    runtime: Runtime,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    key_a, key_b = new_tenant_key("tenant-a"), new_tenant_key("tenant-b")
    client_a = make_client(key_a, ["records:write"])
    for ref in (client_a["id"], client_a["client_id"]):
        assert api.get(f"/api/v1/api-clients/{ref}", headers=bearer(key_b)).status_code == 404
        for action in ("rotate", "revoke"):
            resp = api.post(f"/api/v1/api-clients/{ref}/{action}", headers=bearer(key_b))
            assert resp.status_code == 404, (action, resp.text)
    assert api.get("/api/v1/api-clients", headers=bearer(key_b)).json() == []
    # A's token speaks for tenant A only, and cannot list clients of anyone.
    token = token_for(api, client_a).json()["access_token"]
    me = api.get("/api/v1/whoami", headers=bearer(token)).json()
    with runtime.db.begin() as s:
        tenant_a = tenants.find(s, "tenant-a").id
    assert me["tenant_id"] == tenant_a and me["kind"] == "api_client"
    assert api.get("/api/v1/api-clients", headers=bearer(token)).status_code == 403
    # The client's secret still works for A after B's attempts: they changed nothing.
    assert token_for(api, client_a).status_code == 200


def test_deleting_the_tenant_ends_its_tokens(
    api: TestClient,
    runtime: Runtime,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
) -> None:
    client = make_client(new_tenant_key("gone"), ["events:write"])
    token = token_for(api, client).json()["access_token"]
    assert api.get("/api/v1/whoami", headers=bearer(token)).status_code == 200
    with runtime.db.begin() as s:
        tenants.delete(s, tenants.find(s, "gone").id)
    assert api.get("/api/v1/whoami", headers=bearer(token)).status_code == 401


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(log.JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[_Capture]:
    handler = _Capture()
    logger = logging.getLogger("forcebridge")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def test_secrets_and_tokens_are_never_logged(
    api: TestClient,
    new_tenant_key: Callable[[str], str],
    make_client: Callable[..., dict[str, Any]],
    captured: _Capture,
) -> None:
    key = new_tenant_key("acme")
    client = make_client(key, ["records:write"])
    token = token_for(api, client).json()["access_token"]
    api.get("/api/v1/whoami", headers=bearer(token))
    rotated = api.post(f"/api/v1/api-clients/{client['id']}/rotate", headers=bearer(key)).json()
    api.post("/api/v1/api-keys", headers=bearer(token), json={"name": "escalate"})
    api.get("/api/v1/whoami", headers=bearer(token + "x"))
    text = "\n".join(captured.lines)
    assert "api client token issued" in text and client["client_id"] in text
    for secret in (token, client["client_secret"], rotated["client_secret"], key):
        assert secret not in text
