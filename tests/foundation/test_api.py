"""The REST API: authentication, tenant isolation, the error format, limits, probes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from forcebridge.runtime import Runtime
from forcebridge.services import api_keys
from forcebridge.store.models import ApiKey, User
from tests.conftest import bearer


def _error(resp) -> dict:  # type: ignore[no-untyped-def]
    body = resp.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_requests_without_or_with_a_wrong_key_are_refused(api: TestClient) -> None:
    missing = api.get("/api/v1/users")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert _error(missing)["code"] == "unauthenticated"
    wrong = api.get("/api/v1/users", headers=bearer("fbk_deadbeef_nope"))
    assert wrong.status_code == 401
    assert api.get("/api/v1/users", headers={"Authorization": "Basic abc"}).status_code == 401


def test_a_tenant_never_sees_another_tenants_objects(
    api: TestClient, new_tenant_key: Callable[[str], str]
) -> None:
    key_a, key_b = new_tenant_key("tenant-a"), new_tenant_key("tenant-b")
    created = api.post(
        "/api/v1/users", json={"name": "Ann", "email": "ann@a.example"}, headers=bearer(key_a)
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert api.get(f"/api/v1/users/{user_id}", headers=bearer(key_a)).status_code == 200
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        resp = getattr(api, method)(f"/api/v1/users/{user_id}", headers=bearer(key_b), **kwargs)
        assert resp.status_code == 404, (method, resp.text)
        assert _error(resp)["code"] == "not_found"
    assert api.get("/api/v1/users", headers=bearer(key_b)).json() == []
    keys_b = api.get("/api/v1/api-keys", headers=bearer(key_b)).json()
    assert [k["name"] for k in keys_b] == ["tenant-b key"]


def test_tenants_need_an_admin_key(
    api: TestClient, admin_key: str, new_tenant_key: Callable[[str], str]
) -> None:
    plain = new_tenant_key("plain")
    forbidden = api.get("/api/v1/tenants", headers=bearer(plain))
    assert forbidden.status_code == 403 and _error(forbidden)["code"] == "forbidden"
    created = api.post("/api/v1/tenants", json={"name": "Globex"}, headers=bearer(admin_key))
    assert created.status_code == 201
    tenant_id = created.json()["id"]
    issued = api.post(
        f"/api/v1/tenants/{tenant_id}/api-keys", json={"name": "first"}, headers=bearer(admin_key)
    )
    assert issued.status_code == 201
    key = issued.json()["key"]
    assert key.startswith("fbk_") and issued.json()["prefix"] in key
    assert api.get("/api/v1/users", headers=bearer(key)).status_code == 200
    names = [t["name"] for t in api.get("/api/v1/tenants", headers=bearer(admin_key)).json()]
    assert "Globex" in names and "plain" in names
    dup = api.post("/api/v1/tenants", json={"name": "Globex"}, headers=bearer(admin_key))
    assert dup.status_code == 409 and _error(dup)["details"] == [
        {"field": "name", "reason": "already exists"}
    ]


def test_only_an_admin_key_can_create_an_admin_key(
    api: TestClient, new_tenant_key: Callable[[str], str]
) -> None:
    plain = new_tenant_key("t")
    resp = api.post(
        "/api/v1/api-keys", json={"name": "escalate", "admin": True}, headers=bearer(plain)
    )
    assert resp.status_code == 403
    assert _error(resp)["details"] == [{"field": "admin", "reason": "needs an admin key"}]


def test_api_keys_are_stored_only_as_hashes(
    api: TestClient, runtime: Runtime, admin_key: str
) -> None:
    resp = api.post("/api/v1/api-keys", json={"name": "svc"}, headers=bearer(admin_key))
    raw = resp.json()["key"]
    with runtime.db.begin() as s:
        rows = list(s.scalars(select(ApiKey)))
    assert all(raw not in str(vars(r)) for r in rows)
    stored = next(r for r in rows if r.name == "svc")
    assert stored.key_hash == api_keys.hash_key(raw) and len(stored.key_hash) == 64
    listed = api.get("/api/v1/api-keys", headers=bearer(admin_key)).json()
    assert all("key" not in k and "key_hash" not in k for k in listed)


def test_revoked_keys_stop_working_at_once(api: TestClient, admin_key: str) -> None:
    created = api.post(
        "/api/v1/api-keys", json={"name": "short-lived"}, headers=bearer(admin_key)
    ).json()
    assert api.get("/api/v1/users", headers=bearer(created["key"])).status_code == 200
    revoked = api.post(f"/api/v1/api-keys/{created['id']}/revoke", headers=bearer(admin_key))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert api.get("/api/v1/users", headers=bearer(created["key"])).status_code == 401


def test_malformed_json_is_a_400_naming_the_body(api: TestClient, admin_key: str) -> None:
    resp = api.post(
        "/api/v1/users",
        content=b'{"name": "Ann", ',
        headers={**bearer(admin_key), "Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    err = _error(resp)
    assert err["code"] == "malformed_json" and err["details"][0]["field"] == "body"


def test_unknown_fields_and_wrong_types_name_the_field(api: TestClient, admin_key: str) -> None:
    unknown = api.post(
        "/api/v1/users",
        json={"name": "Ann", "email": "a@b.example", "role": "x"},
        headers=bearer(admin_key),
    )
    assert unknown.status_code == 422
    assert _error(unknown)["details"] == [{"field": "role", "reason": "unknown field"}]
    wrong = api.post(
        "/api/v1/users",
        json={"name": "Ann", "email": "a@b.example", "notify": "sometimes"},
        headers=bearer(admin_key),
    )
    assert wrong.status_code == 422
    assert _error(wrong)["details"][0]["field"] == "notify"
    missing = api.post("/api/v1/users", json={"name": "Ann"}, headers=bearer(admin_key))
    assert _error(missing)["details"] == [{"field": "email", "reason": "is required"}]
    bad_email = api.post(
        "/api/v1/users", json={"name": "Ann", "email": "nope@"}, headers=bearer(admin_key)
    )
    assert bad_email.status_code == 422 and _error(bad_email)["details"][0]["field"] == "email"


def test_oversize_bodies_are_refused(api: TestClient, admin_key: str, runtime: Runtime) -> None:
    limit = runtime.settings.max_body_bytes
    big = {"name": "x" * (limit + 10), "email": "a@b.example"}
    resp = api.post("/api/v1/users", json=big, headers=bearer(admin_key))
    assert resp.status_code == 413
    assert _error(resp)["code"] == "body_too_large"

    def chunks():  # no Content-Length: the limit holds while streaming too
        for _ in range(limit // 1000 + 5):
            yield b" " * 1000

    streamed = api.post(
        "/api/v1/users",
        content=chunks(),
        headers={**bearer(admin_key), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


def test_each_request_is_one_transaction(api: TestClient, admin_key: str, runtime: Runtime) -> None:
    h = bearer(admin_key)
    api.post("/api/v1/users", json={"name": "Ann", "email": "ann@x.example"}, headers=h)
    bob = api.post(
        "/api/v1/users", json={"name": "Bob", "email": "bob@x.example"}, headers=h
    ).json()
    # The name change is applied before the email clash is found: it must not survive.
    resp = api.patch(
        f"/api/v1/users/{bob['id']}", json={"name": "Robert", "email": "ann@x.example"}, headers=h
    )
    assert resp.status_code == 409
    with runtime.db.begin() as s:
        assert s.get(User, bob["id"]).name == "Bob"  # type: ignore[union-attr]


def test_request_ids_are_echoed_or_made(api: TestClient) -> None:
    made = api.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    given = api.get("/healthz", headers={"X-Request-Id": "trace-42"})
    assert given.headers["x-request-id"] == "trace-42"
    hostile = api.get("/healthz", headers={"X-Request-Id": "a b\nc"})
    assert hostile.headers["x-request-id"] != "a b\nc"


def test_probes_and_openapi(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    spec = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/users" in spec["paths"] and "/api/v1/tenants" in spec["paths"]


def test_unknown_routes_use_the_error_format(api: TestClient) -> None:
    resp = api.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and _error(resp)["code"] == "not_found"
