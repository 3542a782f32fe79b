"""Connections through the API: validation per flow, secrets never shown, borrowing rules."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import select

from forcebridge.runtime import Runtime
from forcebridge.store.connections import Connection
from tests.conftest import bearer


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def password_conn(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "environment": "sandbox",
        "auth_flow": "password",
        "consumer_key": "3MVG9-key",
        "consumer_secret": "consumer-secret-value",
        "username": "ops@acme.example",
        "password": "pa55word-value",
        "security_token": "tok3n-value",
        **extra,
    }


def test_secrets_are_write_only_and_sealed_at_rest(
    api: TestClient, admin_key: str, runtime: Runtime, private_key_pem: str
) -> None:
    h = bearer(admin_key)
    resp = api.post("/api/v1/connections", json=password_conn("Acme sandbox"), headers=h)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["login_url"] == "https://test.salesforce.com"
    assert body["status"] == "draft"
    assert (
        body["password"] == "set"
        and body["security_token"] == "set"
        and body["private_key"] == "not set"
    )
    for secret in ("consumer-secret-value", "pa55word-value", "tok3n-value"):
        assert secret not in resp.text
        assert secret not in api.get("/api/v1/connections", headers=h).text
    with runtime.db.begin() as s:
        row = s.scalar(select(Connection))
        assert row is not None and row.password is not None
        assert (
            "pa55word" not in row.password and runtime.vault.open(row.password) == "pa55word-value"
        )

    jwt = api.post(
        "/api/v1/connections",
        json={"name": "Acme prod", "environment": "production", "auth_flow": "jwt_bearer",
              "consumer_key": "ck", "username": "u@acme.example", "private_key": private_key_pem},
        headers=h,
    )  # fmt: skip
    assert jwt.status_code == 201 and jwt.json()["private_key"] == "set"
    assert "PRIVATE KEY" not in jwt.text
    assert jwt.json()["login_url"] == "https://login.salesforce.com"


def test_each_flow_names_what_it_is_missing(api: TestClient, admin_key: str) -> None:
    h = bearer(admin_key)
    resp = api.post(
        "/api/v1/connections",
        json={"name": "x", "environment": "production", "auth_flow": "jwt_bearer"},
        headers=h,
    )
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.json()["error"]["details"]}
    assert fields == {"consumer_key", "username", "private_key"}
    bad_key = api.post(
        "/api/v1/connections",
        json={"name": "x", "environment": "production", "auth_flow": "jwt_bearer", "consumer_key": "k",
              "username": "u@x.example", "private_key": "not a key"},
        headers=h,
    )  # fmt: skip
    assert bad_key.json()["error"]["details"] == [
        {"field": "private_key", "reason": "must be an unencrypted PEM private key"}
    ]
    custom = api.post(
        "/api/v1/connections", json=password_conn("c", environment="custom"), headers=h
    )
    assert custom.json()["error"]["details"][0]["field"] == "login_url"
    insecure = api.post(
        "/api/v1/connections",
        json=password_conn("c", environment="custom", login_url="http://acme.my.salesforce.com"),
        headers=h,
    )
    assert insecure.status_code == 422
    bad_env = api.post(
        "/api/v1/connections", json=password_conn("c", environment="moon"), headers=h
    )
    assert (
        bad_env.status_code == 422
        and bad_env.json()["error"]["details"][0]["field"] == "environment"
    )
    too_many = api.post("/api/v1/connections", json=password_conn("c", concurrency=26), headers=h)
    assert too_many.json()["error"]["details"][0]["field"] == "concurrency"
    for share in (0, 101, "most"):
        bad_share = api.post("/api/v1/connections",
                             json=password_conn("c", api_budget_percent=share), headers=h)
        assert bad_share.status_code == 422, share
        assert bad_share.json()["error"]["details"][0]["field"] == "api_budget_percent"


def test_the_api_budget_is_a_share_of_the_org_set_per_connection(
    api: TestClient, admin_key: str
) -> None:
    h = bearer(admin_key)
    made = api.post("/api/v1/connections", json=password_conn("c"), headers=h).json()
    assert made["api_budget_percent"] == 80
    changed = api.patch("/api/v1/connections/c", json={"api_budget_percent": 35}, headers=h)
    assert changed.status_code == 200 and changed.json()["api_budget_percent"] == 35
    assert api.get("/api/v1/connections/c", headers=h).json()["api_budget_percent"] == 35
    refused = api.patch("/api/v1/connections/c", json={"api_budget_percent": 0}, headers=h)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "api_budget_percent"


def test_names_must_be_distinguishable(api: TestClient, admin_key: str) -> None:
    h = bearer(admin_key)
    assert (
        api.post("/api/v1/connections", json=password_conn("Acme Sandbox"), headers=h).status_code
        == 201
    )
    clash = api.post("/api/v1/connections", json=password_conn("acme  sandbox"), headers=h)
    assert clash.status_code == 409
    assert clash.json()["error"]["details"] == [{"field": "name", "reason": "already exists"}]
    empty = api.post("/api/v1/connections", json=password_conn("   "), headers=h)
    assert empty.status_code == 422


def test_borrowing_resolves_chains_and_refuses_cycles(api: TestClient, admin_key: str) -> None:
    h = bearer(admin_key)
    api.post("/api/v1/connections", json=password_conn("lender", concurrency=3), headers=h)
    api.post("/api/v1/connections", json=password_conn("middle", borrow_from="lender"), headers=h)
    last = api.post(
        "/api/v1/connections", json=password_conn("last", borrow_from="middle"), headers=h
    ).json()
    assert last["borrow_from"] == "middle"
    assert last["effective_pool"] == "lender" and last["effective_concurrency"] == 3

    cycle = api.patch("/api/v1/connections/lender", json={"borrow_from": "last"}, headers=h)
    assert cycle.status_code == 422
    reason = cycle.json()["error"]["details"][0]
    assert reason["field"] == "borrow_from" and "cycle" in reason["reason"]
    itself = api.patch("/api/v1/connections/lender", json={"borrow_from": "lender"}, headers=h)
    assert itself.status_code == 422

    refused = api.delete("/api/v1/connections/middle", headers=h)
    assert refused.status_code == 409 and "last" in refused.json()["error"]["message"]
    assert (
        api.patch("/api/v1/connections/last", json={"borrow_from": ""}, headers=h).json()[
            "borrow_from"
        ]
        is None
    )
    assert api.delete("/api/v1/connections/middle", headers=h).status_code == 204


def test_no_borrowing_across_tenants(api: TestClient, admin_key: str, new_tenant_key) -> None:  # type: ignore[no-untyped-def]
    other = new_tenant_key("other")
    api.post("/api/v1/connections", json=password_conn("theirs"), headers=bearer(other))
    resp = api.post(
        "/api/v1/connections",
        json=password_conn("mine", borrow_from="theirs"),
        headers=bearer(admin_key),
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["field"] == "borrow_from"
    assert api.get("/api/v1/connections/theirs", headers=bearer(admin_key)).status_code == 404


def test_changing_credentials_sends_it_back_to_draft(
    api: TestClient, admin_key: str, runtime: Runtime
) -> None:
    h = bearer(admin_key)
    created = api.post("/api/v1/connections", json=password_conn("c"), headers=h).json()
    with runtime.db.begin() as s:
        row = s.get(Connection, created["id"])
        assert row is not None
        row.status = "authorized"
    assert (
        api.patch("/api/v1/connections/c", json={"concurrency": 7}, headers=h).json()["status"]
        == "authorized"
    )
    changed = api.patch("/api/v1/connections/c", json={"password": "new-one"}, headers=h).json()
    assert changed["status"] == "draft"


def test_the_create_schemas_say_every_field_the_service_takes() -> None:
    """One schema per flow: together they hold every field of the service's input (so a new
    field cannot be missing from the API), and each holds what its flow requires."""
    from forcebridge.api.routes import connection_bodies as bodies
    from forcebridge.services.connections import REQUIRED_BY_FLOW, ConnectionInput

    variants = [v for v in vars(bodies).values()
                if isinstance(v, type) and v.__name__.endswith("Connection")]
    assert len(variants) == 8
    assert set().union(*(v.model_fields for v in variants)) == set(ConnectionInput.model_fields)
    for variant in variants:
        flow = variant.model_fields["auth_flow"].annotation.__args__[0]  # type: ignore[union-attr]
        required = {n for n, f in variant.model_fields.items() if f.is_required()}
        assert set(REQUIRED_BY_FLOW[flow]) <= required, variant
