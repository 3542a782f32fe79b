"""The operator's side door `/__emulator__/`: connection info, users, connected apps with a
JWT certificate, stats and reset. No Salesforce session is needed there."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.http_client import V, emulator_client
from harness.served import password_grant

from forcebridge_emulator import FaultConfig
from forcebridge_emulator._server import make_certificate

pytestmark = pytest.mark.anyio


async def test_org_info_is_ready_to_use() -> None:
    async with emulator_client() as c:
        info = (await c.http.get("/__emulator__/org")).json()
        assert info["base_url"] == "https://emulator.test"
        assert info["token_url"] == "https://emulator.test/services/oauth2/token"
        token = await c.http.post(
            info["token_url"],
            data=password_grant(info),
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


async def test_reset_puts_the_org_back_as_it_started() -> None:
    async with emulator_client(FaultConfig.parse("latency=1,seed=3")) as c:
        before = (await c.get(f"{V}/query", params={"q": "SELECT COUNT() FROM Account"})).json()
        created = await c.post(f"{V}/sobjects/Account", json={"Name": "Written after start"})
        assert created.status_code == 201
        put = await c.http.put("/__emulator__/faults", content="error503=1")
        assert put.status_code == 200 and put.json()["error503"] == 1.0

        assert (await c.http.post("/__emulator__/reset")).status_code == 204

        faults = (await c.http.get("/__emulator__/faults")).json()
        assert faults["latency_ms"] == [1, 1] and faults["error503"] == 0.0  # as at start
        gone = await c.get(f"{V}/sobjects/Account/{created.json()['id']}")  # session kept
        assert gone.status_code == 404
        after = (await c.get(f"{V}/query", params={"q": "SELECT COUNT() FROM Account"})).json()
        assert after["totalSize"] == before["totalSize"]
        again = await c.post(f"{V}/sobjects/Account", json={"Name": "After reset"})
        assert again.status_code == 201 and again.json()["id"] != created.json()["id"]


async def test_faults_take_the_spec_string_as_the_docs_show() -> None:
    async with emulator_client() as c:
        raw = await c.http.put(
            "/__emulator__/faults",
            content="latency=5,seed=2",
            headers={"content-type": "text/plain"},
        )
        assert raw.status_code == 200 and raw.json()["latency_ms"] == [5, 5]
        as_json = await c.http.put("/__emulator__/faults", json="error503=0.5")
        assert as_json.json()["error503"] == 0.5 and as_json.json()["latency_ms"] == [0, 0]
        wrapped = await c.http.put("/__emulator__/faults", json={"spec": "lock=0.1"})
        assert wrapped.json()["lock"] == 0.1
        bad = await c.http.put("/__emulator__/faults", content="jitter=1")
        assert bad.status_code == 400 and "'jitter'" in bad.json()["error"]
