"""POST /services/oauth2/token: every grant type, its success shape and its refusals.

Sources for shapes and wording (recordings first, then Salesforce docs, then real answers
quoted in public issue trackers where neither has them):
- password flow 200 body: restforce-db cassette `updates_the_associated_record_in_the_database.yml`
  (keys id, issued_at, token_type, instance_url, signature, access_token; no scope, no
  refresh_token) and restforce `auth_success_response.json`.
- `expired access/refresh token`: restforce `refresh_error_response.json`.
- `authentication failure`: restforce `auth_error_response.json` (current wording per README).
- `client identifier invalid`: restforce/restforce#46, omniphx/forrest#184.
- `invalid client credentials`: restforce/restforce#338.
- `grant type not supported`: aaronhuggins/sf-jwt-token#1.
- JWT bearer 200 body without signature/issued_at: Salesforce help "OAuth 2.0 JWT Bearer Flow
  for Server-to-Server Integration" (help.salesforce.com ... remoteaccess_oauth_jwt_flow.htm)
  and its published example (access_token, scope, instance_url, id, token_type).
- JWT errors: `invalid assertion` (frankkessler/salesforce-laravel-oauth2-rest#68),
  `audience is invalid` (omniphx/forrest#302, Talend/components#1423),
  `user hasn't approved this consumer` (omniphx/forrest#278),
  `expired authorization code` for an assertion whose exp passed
  (simple-salesforce/simple-salesforce#371 and #491); exp "within 3 minutes" per the help page.
- client credentials: help page "OAuth 2.0 Client Credentials Flow for Server-to-Server
  Integration" (remoteaccess_oauth_client_credentials_flow.htm); `no client credentials user
  enabled` as quoted in Striim's Salesforce troubleshooting page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import pytest
from harness.oauth_support import (
    ALICE,
    ALICE_PASSWORD,
    BASE,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    JWT_BEARER,
    NO_REFRESH_KEY,
    ORG_ID,
    TOKEN_KEYS,
    Clock,
    assertion,
    client_for,
    keypair,
    make_server,
    password_form,
    web_server_refresh_token,
)

pytestmark = pytest.mark.anyio

TOKEN = "/services/oauth2/token"


def expected_signature(body: dict[str, str]) -> str:
    mac = hmac.new(
        CONSUMER_SECRET.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256
    )
    return base64.b64encode(mac.digest()).decode()


# -- password --------------------------------------------------------------------------
async def test_password_flow_answers_the_recorded_shape() -> None:
    server = make_server()
    async with client_for(server) as client:
        response = await client.post(TOKEN, data=password_form())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "no-store" in response.headers["cache-control"]
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == BASE
    assert body["id"] == f"{BASE}/id/{ORG_ID}/0055g00000AAAAAAAA"
    assert body["issued_at"].isdigit() and len(body["issued_at"]) == 13  # epoch ms as a string
    assert body["signature"] == expected_signature(body)
    assert body["access_token"].startswith(ORG_ID[:15] + "!")


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"password": ALICE_PASSWORD + "WRONGTOKEN"}, "invalid_grant", "authentication failure"),
        ({"password": "wrong" + "SecTok123"}, "invalid_grant", "authentication failure"),
        ({"password": ALICE_PASSWORD}, "invalid_grant", "authentication failure"),
        ({"username": "nobody@acme.example"}, "invalid_grant", "authentication failure"),
        (
            {"username": "gone@acme.example", "password": "gone-pwGoneTok"},
            "invalid_grant",
            "authentication failure",
        ),
        ({"client_id": "3MVG9unknown"}, "invalid_client_id", "client identifier invalid"),
        ({"client_secret": "not-the-secret"}, "invalid_client", "invalid client credentials"),
        ({"client_secret": ""}, "invalid_client", "invalid client credentials"),
    ],
    ids=[
        "wrong-security-token",
        "wrong-password",
        "token-missing",
        "unknown-user",
        "inactive-user",
        "unknown-client",
        "bad-client-secret",
        "empty-client-secret",
    ],
)
async def test_password_flow_refusals(
    overrides: dict[str, str], error: str, description: str
) -> None:
    async with client_for(make_server()) as client:
        response = await client.post(TOKEN, data=password_form(**overrides))
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


async def test_username_is_case_insensitive_and_basic_auth_carries_the_client() -> None:
    form = password_form(username=ALICE.upper())
    del form["client_id"], form["client_secret"]
    basic = base64.b64encode(f"{CONSUMER_KEY}:{CONSUMER_SECRET}".encode()).decode()
    async with client_for(make_server()) as client:
        response = await client.post(TOKEN, data=form, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.text


async def test_unsupported_grant_type() -> None:
    async with client_for(make_server()) as client:
        for grant in ("implicit", ""):
            response = await client.post(TOKEN, data={"grant_type": grant})
            assert response.status_code == 400
            assert response.json() == {
                "error": "unsupported_grant_type",
                "error_description": "grant type not supported",
            }


# -- client credentials ----------------------------------------------------------------
async def test_client_credentials_runs_as_the_configured_user() -> None:
    server = make_server()
    form = {"grant_type": "client_credentials", "client_id": CONSUMER_KEY}
    async with client_for(server) as client:
        ok = await client.post(TOKEN, data={**form, "client_secret": CONSUMER_SECRET})
        bad = await client.post(TOKEN, data={**form, "client_secret": "nope"})
        no_user = await client.post(
            TOKEN,
            data={
                "grant_type": "client_credentials",
                "client_id": NO_REFRESH_KEY,
                "client_secret": "other-secret",
            },
        )
    assert ok.status_code == 200
    body = ok.json()
    assert set(body) == {*TOKEN_KEYS, "scope"}
    assert body["id"].endswith("/0055g00000BBBBBBBB")
    assert "refresh_token" not in body["scope"].split()
    assert body["signature"] == expected_signature(body)
    assert bad.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    assert no_user.status_code == 400
    assert no_user.json() == {
        "error": "invalid_grant",
        "error_description": "no client credentials user enabled",
    }


# -- JWT bearer ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "aud", ["https://login.salesforce.com", "https://test.salesforce.com/", BASE]
)
async def test_jwt_bearer_success(aud: str) -> None:
    clock = Clock()
    server = make_server(clock)
    async with client_for(server) as client:
        response = await client.post(
            TOKEN,
            data={"grant_type": JWT_BEARER, "assertion": assertion(now=clock.now, aud=aud)},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "scope", "instance_url", "id", "token_type"}
    assert body["id"] == f"{BASE}/id/{ORG_ID}/0055g00000AAAAAAAA"
    assert server.authenticate_token(body["access_token"]).user.username == ALICE


async def test_jwt_exp_as_numeric_string_is_accepted() -> None:
    # simple-salesforce sends exp as a string of digits (see simple-salesforce#371's dump).
    clock = Clock()
    token = assertion(now=clock.now, exp=str(int(clock.now + 100)))
    async with client_for(make_server(clock)) as client:
        response = await client.post(TOKEN, data={"grant_type": JWT_BEARER, "assertion": token})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("make", "error", "description"),
    [
        (
            lambda now: assertion(now=now, key=keypair("intruder")),
            "invalid_grant",
            "invalid assertion",
        ),
        (lambda now: "not.a.jwt", "invalid_grant", "invalid assertion"),
        (lambda now: assertion(now=now, exp_in=-30), "invalid_grant", "expired authorization code"),
        (lambda now: assertion(now=now, exp_in=600), "invalid_grant", "invalid assertion"),
        (
            lambda now: assertion(now=now, aud="https://evil.example.com"),
            "invalid_grant",
            "audience is invalid",
        ),
        (
            lambda now: assertion(now=now, iss="3MVG9someone.else"),
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            lambda now: assertion(now=now, sub="stranger@acme.example"),
            "invalid_grant",
            "user hasn't approved this consumer",
        ),
        (
            lambda now: assertion(now=now, iss=NO_REFRESH_KEY),
            "invalid_grant",
            "invalid assertion",
        ),
    ],
    ids=[
        "bad-signature",
        "garbage",
        "expired",
        "exp-too-far-ahead",
        "wrong-audience",
        "wrong-issuer",
        "unknown-subject",
        "app-without-certificate",
    ],
)
async def test_jwt_bearer_refusals(
    make: Callable[[float], str], error: str, description: str
) -> None:
    clock = Clock()
    async with client_for(make_server(clock)) as client:
        response = await client.post(
            TOKEN, data={"grant_type": JWT_BEARER, "assertion": make(clock.now)}
        )
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


async def test_jwt_exp_just_under_three_minutes_is_fine() -> None:
    clock = Clock()
    async with client_for(make_server(clock)) as client:
        response = await client.post(
            TOKEN,
            data={"grant_type": JWT_BEARER, "assertion": assertion(now=clock.now, exp_in=180)},
        )
    assert response.status_code == 200


async def test_jwt_certificate_uploaded_at_runtime() -> None:
    clock = Clock()
    server = make_server(clock)
    server.set_certificate(NO_REFRESH_KEY, keypair("second").certificate_pem)
    token = assertion(now=clock.now, iss=NO_REFRESH_KEY, key=keypair("second"))
    async with client_for(server) as client:
        response = await client.post(TOKEN, data={"grant_type": JWT_BEARER, "assertion": token})
    assert response.status_code == 200, response.text


# -- refresh token (minted through the web server flow) ----------------------------------
async def test_refresh_token_grant_and_revoked_refresh_token() -> None:
    server = make_server()
    async with client_for(server) as client:
        refresh = await web_server_refresh_token(client)
        form = {
            "grant_type": "refresh_token",
            "client_id": CONSUMER_KEY,
            "client_secret": CONSUMER_SECRET,
            "refresh_token": refresh,
        }
        first = await client.post(TOKEN, data=form)
        assert first.status_code == 200, first.text
        body = first.json()
        # No new refresh token on refresh (restforce refresh_success_response.json).
        assert "refresh_token" not in body
        assert set(body) == {*TOKEN_KEYS, "scope"}
        without_secret = await client.post(
            TOKEN, data={k: v for k, v in form.items() if k != "client_secret"}
        )
        assert without_secret.status_code == 200
        wrong_secret = await client.post(TOKEN, data={**form, "client_secret": "nope"})
        assert wrong_secret.json()["error"] == "invalid_client"

        revoked = await client.post("/services/oauth2/revoke", data={"token": refresh})
        assert revoked.status_code == 200
        again = await client.post(TOKEN, data=form)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    # ...and the access tokens minted from it died with it.
    with pytest.raises(Exception, match="INVALID_SESSION_ID"):
        server.authenticate_token(body["access_token"])


async def test_refresh_token_of_another_app_is_refused() -> None:
    async with client_for(make_server()) as client:
        refresh = await web_server_refresh_token(client)
        response = await client.post(
            TOKEN,
            data={
                "grant_type": "refresh_token",
                "client_id": NO_REFRESH_KEY,
                "refresh_token": refresh,
            },
        )
    assert response.json()["error_description"] == "expired access/refresh token"
