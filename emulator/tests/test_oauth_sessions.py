"""Using tokens: `authenticate` for the REST layer, revoke, expiry, identity and userinfo.

Sources:
- 401 body/header: restforce `expired_session_response.json` and the README's fact 1
  (`WWW-Authenticate: Token`).
- `Authorization: OAuth <token>`: restforce-db cassette (restforce sends that scheme).
- Identity URL document: restforce-db cassette `updates_the_associated_record_in_the_database.yml`
  (GET https://login.salesforce.com/id/{orgId}/{userId}); keys compared exactly.
- Identity URL with a bad token -> 403 `Bad_OAuth_Token` (drupal salesforce issue #3191597).
- Revoke: Salesforce Mobile SDK guide "Revoking OAuth Tokens" (200 on success; 400
  `unsupported_token_type`) and the form-encoded error body quoted in omniphx/forrest#213.
- UserInfo keys: Salesforce help "UserInfo Endpoint" (remoteaccess_using_userinfo_endpoint.htm).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from harness.oauth_support import (
    ALICE,
    BASE,
    CONSUMER_KEY,
    ORG_ID,
    Clock,
    client_for,
    make_server,
    password_form,
    web_server_refresh_token,
)
from recorded.recordings import RECORDINGS_DIR
from starlette.requests import Request

from forcebridge_emulator._config import ConnectedAppConfig, UserConfig
from forcebridge_emulator._errors import ApiError

pytestmark = pytest.mark.anyio

RECORDINGS = RECORDINGS_DIR
CASSETTE = next(
    iter((RECORDINGS / "restforce-db").rglob("updates_the_associated_record_in_the_database.yml")),
    None,
)


def request_with(headers: dict[str, str]) -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/services/data/v62.0/limits",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "query_string": b"",
    }
    return Request(scope)


def recorded_identity() -> dict[str, Any]:
    assert CASSETTE is not None
    cassette = yaml.safe_load(CASSETTE.read_text())
    for interaction in cassette["http_interactions"]:
        if "/id/" in interaction["request"]["uri"]:
            return dict(json.loads(interaction["response"]["body"]["string"]))
    raise AssertionError("no identity call in the cassette")


def test_authenticate_accepts_bearer_and_oauth_schemes() -> None:
    server = make_server()
    token = server.issue_token_for(ALICE)
    for scheme in ("Bearer", "OAuth", "bearer"):
        session = server.authenticate(request_with({"Authorization": f"{scheme} {token}"}))
        assert session.user.username == ALICE
        assert session.access_token == token
        assert session.app is None
    assert token not in repr(session)  # no secrets in repr


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
    ids=["missing", "unknown", "wrong-scheme", "empty"],
)
def test_authenticate_refuses_like_salesforce(headers: dict[str, str]) -> None:
    with pytest.raises(ApiError) as caught:
        make_server().authenticate(request_with(headers))
    err = caught.value
    assert err.status == 401
    assert err.body() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert err.headers == {"WWW-Authenticate": "Token"}


def test_expire_session_and_expire_all() -> None:
    server = make_server()
    one, two = server.issue_token_for(ALICE), server.issue_token_for(ALICE)
    assert server.expire_session(one) is True
    assert server.expire_session(one) is False
    with pytest.raises(ApiError):
        server.authenticate_token(one)
    assert server.authenticate_token(two).user.username == ALICE
    assert server.expire_all_sessions() == 1
    with pytest.raises(ApiError):
        server.authenticate_token(two)


async def test_expired_sessions_can_be_refreshed() -> None:
    """A timeout ends access tokens, not refresh tokens: the client recovers by refreshing."""
    server = make_server()
    async with client_for(server) as client:
        refresh = await web_server_refresh_token(client)
        server.expire_all_sessions()
        response = await client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": CONSUMER_KEY,
                "refresh_token": refresh,
            },
        )
    assert response.status_code == 200
    assert server.authenticate_token(response.json()["access_token"]).user.username == ALICE


def test_sessions_time_out_when_idle() -> None:
    clock = Clock()
    server = make_server(clock)
    token = server.issue_token_for(ALICE)
    clock.advance(60 * 60)
    server.authenticate_token(token)  # used: the idle timer restarts
    clock.advance(60 * 60 + 1)
    assert server.authenticate_token(token)
    clock.advance(2 * 60 * 60 + 1)
    with pytest.raises(ApiError):
        server.authenticate_token(token)


def test_deactivated_user_loses_the_session() -> None:
    server = make_server()
    token = server.issue_token_for(ALICE)
    server.config.users[0].active = False
    with pytest.raises(ApiError):
        server.authenticate_token(token)


async def test_revoke_access_token_and_unknown_token() -> None:
    server = make_server()
    async with client_for(server) as client:
        token = (await client.post("/services/oauth2/token", data=password_form())).json()[
            "access_token"
        ]
        ok = await client.post("/services/oauth2/revoke", data={"token": token})
        again = await client.post("/services/oauth2/revoke", data={"token": token})
        by_get = await client.get(
            "/services/oauth2/revoke", params={"token": server.issue_token_for(ALICE)}
        )
    assert ok.status_code == 200
    with pytest.raises(ApiError):
        server.authenticate_token(token)
    assert again.status_code == 400
    assert again.text == (
        "error=unsupported_token_type&error_description=this%20token%20type%20is%20not%20supported"
    )
    assert by_get.status_code == 200


async def test_identity_url_answers_the_recorded_shape() -> None:
    server = make_server()
    async with client_for(server) as client:
        token_body = (await client.post("/services/oauth2/token", data=password_form())).json()
        response = await client.get(
            token_body["id"], headers={"Authorization": f"OAuth {token_body['access_token']}"}
        )
    assert response.status_code == 200, response.text
    doc = response.json()
    recorded = recorded_identity()
    assert list(doc) == list(recorded)
    assert list(doc["urls"]) == list(recorded["urls"])
    assert list(doc["photos"]) == list(recorded["photos"])
    assert list(doc["status"]) == list(recorded["status"])
    assert doc["id"] == token_body["id"]
    assert doc["user_id"] == "0055g00000AAAAAAAA"
    assert doc["organization_id"] == ORG_ID
    assert doc["username"] == ALICE
    assert doc["display_name"] == "Alice Archer"
    assert doc["urls"]["rest"] == f"{BASE}/services/data/v{{version}}/"
    assert doc["urls"]["enterprise"] == f"{BASE}/services/Soap/c/{{version}}/{ORG_ID[:15]}"
    assert doc["urls"]["profile"] == f"{BASE}/0055g00000AAAAAAAA"
    for key, value in recorded.items():
        if not isinstance(value, dict | list):
            assert type(doc[key]) is type(value) or value is None or doc[key] is None, key


async def test_identity_url_errors_and_version() -> None:
    server = make_server()
    token = server.issue_token_for(ALICE)
    auth = {"Authorization": f"Bearer {token}"}
    async with client_for(server) as client:
        missing = await client.get(f"/id/{ORG_ID}/0055g00000AAAAAAAA")
        bad = await client.get(
            f"/id/{ORG_ID}/0055g00000AAAAAAAA", headers={"Authorization": "Bearer nope"}
        )
        wrong_org = await client.get("/id/00D000000000001AAA/0055g00000AAAAAAAA", headers=auth)
        other_user = await client.get(f"/id/{ORG_ID}/0055g00000BBBBBBBB", headers=auth)
        versioned = await client.get(
            f"/id/{ORG_ID}/0055g00000AAAAAAAA", params={"version": "59.0"}, headers=auth
        )
        by_param = await client.get(
            f"/id/{ORG_ID}/0055g00000AAAAAAAA", params={"oauth_token": token}
        )
    assert (missing.status_code, missing.text) == (403, "Missing_OAuth_Token")
    assert (bad.status_code, bad.text) == (403, "Bad_OAuth_Token")
    assert (wrong_org.status_code, wrong_org.text) == (404, "Bad_Id")
    assert other_user.json()["username"] == "integration@acme.example"
    assert versioned.json()["urls"]["query"] == f"{BASE}/services/data/v59.0/query/"
    assert by_param.status_code == 200


async def test_userinfo() -> None:
    server = make_server()
    token = server.issue_token_for(ALICE)
    async with client_for(server) as client:
        response = await client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"}
        )
        refused = await client.get("/services/oauth2/userinfo")
    assert response.status_code == 200
    doc = response.json()
    assert doc["sub"] == f"{BASE}/id/{ORG_ID}/0055g00000AAAAAAAA"
    assert doc["preferred_username"] == ALICE
    assert doc["organization_id"] == ORG_ID
    assert {"user_id", "name", "email", "urls", "active", "locale", "utcOffset"} <= set(doc)
    assert refused.status_code == 403


async def test_runtime_user_and_app() -> None:
    server = make_server()
    user = server.add_user(
        UserConfig(username="new@acme.example", password="pw", security_token="T")
    )
    assert user.user_id.startswith("005") and len(user.user_id) == 18
    server.add_connected_app(
        ConnectedAppConfig(name="late", consumer_key="3MVG9late", consumer_secret="late-secret")
    )
    async with client_for(server) as client:
        response = await client.post(
            "/services/oauth2/token",
            data=password_form(
                client_id="3MVG9late",
                client_secret="late-secret",
                username="new@acme.example",
                password="pwT",
            ),
        )
    assert response.status_code == 200, response.text
    assert response.json()["id"].endswith("/" + user.user_id)


def test_replacing_a_user_ends_their_sessions() -> None:
    server = make_server()
    token = server.issue_token_for(ALICE)
    server.add_user(UserConfig(username=ALICE, password="new", security_token="N"))
    with pytest.raises(ApiError):
        server.authenticate_token(token)
    with pytest.raises(KeyError):
        server.issue_token_for("nobody@acme.example")
