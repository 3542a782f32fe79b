"""The operator's side door `/__emulator__/`: connection info, users, connected apps with a
JWT certificate, stats and reset. No Salesforce session is needed there."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcebridge_emulator.server import make_certificate
from tests.emulator.http_client import V, emulator_client

pytestmark = pytest.mark.anyio


async def test_org_info_is_ready_to_use() -> None:
    async with emulator_client() as c:
        info = (await c.http.get("/__emulator__/org")).json()
        assert info["base_url"] == "https://emulator.test"
        assert info["token_url"] == "https://emulator.test/services/oauth2/token"
        token = await c.http.post(
            info["token_url"],
            data={
                "grant_type": "password",
                "client_id": info["consumer_key"],
                "client_secret": info["consumer_secret"],
                "username": info["username"],
                "password": info["password"] + info["security_token"],
            },
        )
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert (await c.http.get(f"{V}/limits", headers=bearer)).status_code == 200


async def test_added_user_can_log_in() -> None:
    async with emulator_client() as c:
        added = await c.http.post(
            "/__emulator__/users",
            json={"username": "ops@example.com", "password": "pw-12345", "security_token": "TOK"},
        )
        assert added.status_code == 201 and added.json()["user_id"].startswith("005")
        app = c.emulator.org.config.connected_apps[0]
        token = await c.http.post(
            "/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": app.consumer_key,
                "client_secret": app.consumer_secret,
                "username": "ops@example.com",
                "password": "pw-12345TOK",
            },
        )
        assert token.status_code == 200, token.text
        bad = await c.http.post("/__emulator__/users", json={"username": "x", "pasword": "y"})
        assert bad.status_code == 400 and "pasword" in bad.json()["error"]


async def test_connected_app_with_certificate(tmp_path: Path) -> None:
    pem = make_certificate(tmp_path).cert_path.read_text()
    async with emulator_client() as c:
        added = await c.http.post(
            "/__emulator__/connected-apps",
            json={"name": "jwt app", "consumer_key": "ck-jwt", "consumer_secret": "cs-jwt"},
        )
        assert added.status_code == 201 and added.json()["has_certificate"] is False
        uploaded = await c.http.put(
            "/__emulator__/connected-apps/ck-jwt/certificate", content=pem.encode()
        )
        assert uploaded.status_code == 200
        apps = (await c.http.get("/__emulator__/org")).json()["connected_apps"]
        jwt_app = next(a for a in apps if a["consumer_key"] == "ck-jwt")
        assert jwt_app["has_certificate"] is True
        assert "certificate_pem" not in jwt_app
        missing = await c.http.put(
            "/__emulator__/connected-apps/nope/certificate", content=pem.encode()
        )
        assert missing.status_code == 404
        not_pem = await c.http.put("/__emulator__/connected-apps/ck-jwt/certificate", content=b"x")
        assert not_pem.status_code == 400
