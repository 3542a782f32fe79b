"""A connection's CA bundle: checked when saved, shown, cleared, and handed to the client."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from forcebridge.runtime import Runtime
from forcebridge.services.authorization import credentials_for
from forcebridge.store.connections import Connection
from forcebridge_emulator import testing
from tests.conftest import bearer
from tests.connections.test_connections_api import password_conn


def test_a_ca_bundle_is_checked_saved_and_used(
    api: TestClient, admin_key: str, runtime: Runtime, tmp_path: Path
) -> None:
    h = bearer(admin_key)
    missing = api.post(
        "/api/v1/connections",
        json=password_conn("Missing CA", ca_bundle=str(tmp_path / "nope.pem")),
        headers=h,
    )
    assert missing.status_code == 422
    (detail,) = missing.json()["error"]["details"]
    assert detail["field"] == "ca_bundle" and "cannot read" in detail["reason"]

    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate")
    bad = api.post(
        "/api/v1/connections", json=password_conn("Bad CA", ca_bundle=str(not_pem)), headers=h
    )
    assert bad.status_code == 422
    assert "holds no PEM certificate" in bad.json()["error"]["details"][0]["reason"]

    with testing.on_socket(tls=True) as org:
        assert org.ca_certificate is not None
        bundle = tmp_path / "ca.pem"
        bundle.write_bytes(org.ca_certificate.read_bytes())
    created = api.post(
        "/api/v1/connections", json=password_conn("Private CA", ca_bundle=str(bundle)), headers=h
    )
    assert created.status_code == 201, created.text
    assert created.json()["ca_bundle"] == str(bundle.resolve())
    with runtime.db.begin() as s:
        conn = s.get(Connection, created.json()["id"])
        assert conn is not None
        assert credentials_for(conn, runtime).ca_bundle == str(bundle.resolve())

    cleared = api.patch(
        f"/api/v1/connections/{created.json()['id']}", json={"ca_bundle": ""}, headers=h
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["ca_bundle"] is None
