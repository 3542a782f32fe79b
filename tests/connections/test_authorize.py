"""Save & authorize against the emulator: every flow, its failures, pools and re-authorization."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.salesforce.certificates import jwt_keypair
from forcebridge.services import authorization, connections, tenants, users
from forcebridge.settings import Settings
from tests.conftest import bearer
from tests.emulated_org import conn_body
from tests.mail import smtp_server
from tests.salesforce.emulated import Emulated, in_process


@pytest.fixture
def rt(runtime: Runtime, emu: Emulated) -> Runtime:
    runtime.salesforce_transport = emu.transport
    return runtime


@pytest.fixture
def api_emu(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt), raise_server_exceptions=False) as client:
        yield client


def test_password_flow_authorizes_and_records_the_identity(
    api_emu: TestClient, admin_key: str, emu: Emulated
) -> None:
    h = bearer(admin_key)
    api_emu.post("/api/v1/connections", json=conn_body(emu, "org"), headers=h)
    resp = api_emu.post("/api/v1/connections/org/authorize", headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "authorized" and body["status_reason"] is None
    assert body["org_id"] == emu.org.config.org_id
    assert body["salesforce_username"] == emu.org.config.users[0].username
    assert body["instance_url"] == emu.base_url and body["authorized_at"]


def test_wrong_password_fails_with_salesforces_reason(
    api_emu: TestClient, admin_key: str, emu: Emulated
) -> None:
    h = bearer(admin_key)
    api_emu.post("/api/v1/connections", json=conn_body(emu, "org", password="wrong"), headers=h)
    answer = api_emu.post("/api/v1/connections/org/authorize", headers=h)
    assert answer.status_code == 502 and "wrong" not in answer.text
    error = answer.json()["error"]
    assert error["code"] == "authorization_failed"
    assert error["details"] == [{"field": "connection", "status": "failed",
                                 "reason": "invalid_grant: authentication failure"}]
    body = api_emu.get("/api/v1/connections/org", headers=h).json()
    assert body["status"] == "failed"
    assert body["status_reason"] == "invalid_grant: authentication failure"


def test_jwt_bearer_with_a_generated_certificate(
    api_emu: TestClient, admin_key: str, emu: Emulated
) -> None:
    pair = jwt_keypair("acme")
    app = emu.org.config.connected_apps[0]
    emu.emulator.oauth.set_certificate(app.consumer_key, pair.certificate_pem)
    h = bearer(admin_key)
    api_emu.post(
        "/api/v1/connections",
        json=conn_body(emu, "jwt", "jwt_bearer", private_key=pair.private_key_pem),
        headers=h,
    )
    assert (
        api_emu.post("/api/v1/connections/jwt/authorize", headers=h).json()["status"]
        == "authorized"
    )

    other = jwt_keypair("someone else")  # signed with a key the app does not know
    api_emu.patch("/api/v1/connections/jwt", json={"private_key": other.private_key_pem}, headers=h)
    refused = api_emu.post("/api/v1/connections/jwt/test", headers=h)
    assert refused.status_code == 502
    assert refused.json()["error"]["details"][0]["reason"].startswith("invalid_grant")
    failed = api_emu.get("/api/v1/connections/jwt", headers=h).json()
    assert failed["status"] == "failed" and failed["status_reason"].startswith("invalid_grant")


def test_client_credentials_flow(api_emu: TestClient, admin_key: str, emu: Emulated) -> None:
    app = emu.org.config.connected_apps[0]
    app.client_credentials_user = emu.org.config.users[0].username
    h = bearer(admin_key)
    api_emu.post("/api/v1/connections", json=conn_body(emu, "cc", "client_credentials"), headers=h)
    assert (
        api_emu.post("/api/v1/connections/cc/authorize", headers=h).json()["status"] == "authorized"
    )
    api_emu.patch("/api/v1/connections/cc", json={"consumer_secret": "nope"}, headers=h)
    assert api_emu.post("/api/v1/connections/cc/test", headers=h).status_code == 502
    assert api_emu.get("/api/v1/connections/cc", headers=h).json()["status"] == "failed"


def _browser_login(emu: Emulated, url: str) -> dict[str, list[str]]:
    """The user's half of the web-server flow: the emulator's login form, then its redirect."""
    user = emu.org.config.users[0]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=emu.transport, base_url=emu.base_url) as browser:
            assert (await browser.get(url)).status_code == 200
            return await browser.post(
                "/services/oauth2/authorize",
                data=query | {"username": user.username, "password": user.password},
            )

    answer = anyio.run(go)
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["location"]).query)


def test_web_server_flow_round_trip_through_the_callback(
    api_emu: TestClient, admin_key: str, emu: Emulated, rt: Runtime
) -> None:
    h = bearer(admin_key)
    api_emu.post("/api/v1/connections", json=conn_body(emu, "web", "web_server"), headers=h)
    started = api_emu.post("/api/v1/connections/web/authorize", headers=h).json()
    assert started["status"] == "draft"
    url = started["authorization_url"]
    assert url.startswith(emu.base_url + "/services/oauth2/authorize?")
    sent = parse_qs(urlsplit(url).query)
    assert sent["redirect_uri"] == [rt.settings.resolved_public_url + "/api/v1/oauth/callback"]
    assert sent["code_challenge_method"] == ["S256"]

    back = _browser_login(emu, url)
    forged = api_emu.get(
        "/api/v1/oauth/callback", params={"code": back["code"][0], "state": "forged"}
    )
    assert forged.status_code == 404
    done = api_emu.get(
        "/api/v1/oauth/callback", params={"code": back["code"][0], "state": back["state"][0]}
    )
    assert done.status_code == 200 and "data-status=authorized" in done.text
    view = api_emu.get("/api/v1/connections/web", headers=h).json()
    assert view["status"] == "authorized" and view["refresh_token"] == "set"
    replay = api_emu.get(
        "/api/v1/oauth/callback", params={"code": back["code"][0], "state": back["state"][0]}
    )
    assert replay.status_code == 404  # a state is good for one round trip
    assert api_emu.post("/api/v1/connections/web/test", headers=h).json()["status"] == "authorized"


def test_revoked_refresh_token_needs_reauthorization_and_emails(
    tmp_path: Any, database_url: str, emu: Emulated
) -> None:
    with smtp_server() as (inbox, port):
        settings = Settings(
            data_dir=tmp_path / "d",
            database_url=database_url,
            smtp_host="127.0.0.1",
            smtp_port=port,
        )
        rt = Runtime(settings, salesforce_transport=emu.transport)
        rt.migrate()
        with rt.db.begin() as s:
            t = tenants.create(s, "acme")
            users.create(s, t.id, "Ann", "ann@acme.example")
            users.create(s, t.id, "Quiet", "quiet@acme.example", notify=False)
            conn = connections.create(
                s,
                rt.vault,
                t.id,
                connections.ConnectionInput(**conn_body(emu, "web", "web_server")),
            )
            tenant_id, conn_id = t.id, conn.id
        started = anyio.run(authorization.authorize, rt, tenant_id, conn_id)
        back = _browser_login(emu, started.authorization_url or "")
        done = anyio.run(authorization.complete_callback, rt, back["state"][0], back["code"][0])
        assert done.status == "authorized"

        with rt.db.begin() as s:
            refresh = rt.vault.open(connections.get(s, tenant_id, conn_id).refresh_token or "")
        emu.emulator.oauth.revoke(refresh)
        outcome = anyio.run(authorization.test, rt, tenant_id, conn_id)
        assert outcome.status == "needs_reauthorization"
        assert "invalid_grant" in (outcome.status_reason or "")
        anyio.run(authorization.test, rt, tenant_id, conn_id)  # still revoked: no second mail
        rt.close()
    [mail] = inbox.messages
    assert mail["To"] == "ann@acme.example"
    assert "web" in mail["Subject"] and "authorized again" in mail["Subject"]
    assert refresh not in mail.as_string()


@pytest.mark.anyio
async def test_borrowing_connections_share_one_pool_measured_by_the_emulator(
    runtime: Runtime,
) -> None:
    emu = in_process(faults="latency=30")
    runtime.salesforce_transport = emu.transport
    with runtime.db.begin() as s:
        t = tenants.create(s, "pool")
        lender = connections.create(
            s,
            runtime.vault,
            t.id,
            connections.ConnectionInput(**conn_body(emu, "lender", concurrency=3)),
        )
        borrower = connections.create(
            s,
            runtime.vault,
            t.id,
            connections.ConnectionInput(
                **conn_body(emu, "borrower", concurrency=25, borrow_from="lender")
            ),
        )
        clients = [authorization.client_for(runtime, s, connections.get(s, t.id, c.id))
                   for c in (lender, borrower)]
    assert clients[0].pool is clients[1].pool

    async def burst(client: Any) -> None:
        async with client, anyio.create_task_group() as tg:
            for _ in range(12):
                tg.start_soon(client.limits)

    async with anyio.create_task_group() as tg:
        for client in clients:
            tg.start_soon(burst, client)
    stats = emu.stats()
    assert stats["forcebridge demo"]["max_in_flight"] == 3, stats
    assert stats["forcebridge demo"]["calls"] >= 24
