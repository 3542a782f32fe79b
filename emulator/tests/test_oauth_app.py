"""The OAuth server inside the whole emulator (`create_app`): log in, call REST, get locked out.

Shapes as in test_oauth_token.py / test_oauth_sessions.py (restforce-db password-flow
cassette; restforce `expired_session_response.json` for the 401).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from harness.oauth_support import ALICE, ALICE_PASSWORD, ALICE_TOKEN, org_config

from forcebridge_emulator._app import create_app
from forcebridge_emulator._oauth import OAuthServer
from forcebridge_emulator._org import Org

pytestmark = pytest.mark.anyio

BASE = "https://acme.my.salesforce.com"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Org(org_config()), base_url=BASE)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        yield c


def oauth_of(client: httpx.AsyncClient) -> OAuthServer:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    server: OAuthServer = transport.app.state.emulator.oauth  # type: ignore[attr-defined]
    return server


async def test_password_login_then_rest_then_revoked(client: httpx.AsyncClient) -> None:
    login = await client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "3MVG9emulator.consumer.key",
            "client_secret": "emulator-consumer-secret",
            "username": ALICE,
            "password": ALICE_PASSWORD + ALICE_TOKEN,
        },
    )
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["instance_url"] == BASE
    assert body["id"].startswith(f"{BASE}/id/")
    headers = {"Authorization": f"Bearer {body['access_token']}"}

    ok = await client.get("/services/data/v62.0/limits", headers=headers)
    assert ok.status_code == 200, ok.text
    identity = await client.get(body["id"], headers=headers)
    assert identity.json()["username"] == ALICE

    oauth_of(client).expire_all_sessions()
    expired = await client.get("/services/data/v62.0/limits", headers=headers)
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == "Token"
    assert expired.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


async def test_restforce_style_oauth_header(client: httpx.AsyncClient) -> None:
    token = oauth_of(client).issue_token_for(ALICE)
    response = await client.get(
        "/services/data/v62.0/limits", headers={"Authorization": f"OAuth {token}"}
    )
    assert response.status_code == 200, response.text
