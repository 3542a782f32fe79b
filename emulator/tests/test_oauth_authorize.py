"""GET/POST /services/oauth2/authorize and the authorization_code grant (web server flow).

Sources (no public recording of this flow exists):
- Salesforce help "OAuth 2.0 Web Server Flow for Web App Integration"
  (help.salesforce.com ... remoteaccess_oauth_web_server_flow.htm): parameters, 302 back to
  the callback with `code` and `state`, codes usable once, PKCE `code_challenge` =
  base64url(SHA-256(code_verifier)).
- `invalid code verifier`: salesforce.stackexchange.com/questions/330168 (PKCE with Salesforce).
- `redirect_uri must match configuration` / `client identifier invalid` shown as
  `error=...&error_description=...` text in the browser: petewarden/salesforce_restphp_example#1,
  forcedotcom/postman-salesforce-apis#42.
- `expired authorization code`: newrelic/newrelic-salesforce-exporter#31 wording.
- Login page error text: Salesforce's login page after a failed attempt.
"""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from harness.oauth_support import (
    ALICE,
    BASE,
    CALLBACK,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    NO_REFRESH_KEY,
    PUBLIC_CALLBACK,
    Clock,
    client_for,
    log_in_and_get_code,
    make_server,
    sign_in_form,
)

pytestmark = pytest.mark.anyio

AUTHORIZE = "/services/oauth2/authorize"
TOKEN = "/services/oauth2/token"


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def code_form(code: str, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CONSUMER_KEY,
        "client_secret": CONSUMER_SECRET,
        "redirect_uri": CALLBACK,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v != ""}


async def test_login_page_renders_a_form_carrying_the_request() -> None:
    async with client_for(make_server()) as client:
        page = await client.get(
            AUTHORIZE,
            params={
                "response_type": "code",
                "client_id": CONSUMER_KEY,
                "redirect_uri": CALLBACK,
                "state": "s<1>",
                "scope": "api refresh_token",
            },
        )
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert re.search(r'<form method="post" action="/services/oauth2/authorize"', html)
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="state" value="s&lt;1&gt;"' in html  # carried, and escaped
    assert f'name="redirect_uri" value="{CALLBACK}"' in html


async def test_posting_the_form_redirects_with_code_and_state() -> None:
    async with client_for(make_server()) as client:
        response = await client.post(AUTHORIZE, data=sign_in_form("code", state="abc 123"))
    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    assert str(location.copy_with(query=None)) == CALLBACK
    assert location.params["state"] == "abc 123"
    assert location.params["code"].startswith("aPrx")


async def test_wrong_password_rerenders_with_an_error() -> None:
    async with client_for(make_server()) as client:
        response = await client.post(
            AUTHORIZE,
            data={
                "response_type": "code",
                "client_id": CONSUMER_KEY,
                "redirect_uri": CALLBACK,
                "username": ALICE,
                "password": "guess",
            },
        )
    assert response.status_code == 200
    assert "Please check your username and password" in response.text
    assert f'value="{ALICE}"' in response.text  # the username is kept
    assert "<form" in response.text


@pytest.mark.parametrize(
    ("params", "text"),
    [
        (
            {"client_id": CONSUMER_KEY, "redirect_uri": "https://evil.example.com/cb"},
            "error=redirect_uri_mismatch&amp;error_description=redirect_uri+must+match+configuration",
        ),
        (
            {"client_id": "3MVG9unknown", "redirect_uri": CALLBACK},
            "error=invalid_client_id&amp;error_description=client+identifier+invalid",
        ),
    ],
    ids=["wrong-redirect-uri", "unknown-client"],
)
async def test_untrustworthy_requests_get_an_error_page(params: dict[str, str], text: str) -> None:
    async with client_for(make_server()) as client:
        response = await client.get(AUTHORIZE, params={"response_type": "code", **params})
    assert response.status_code == 400
    assert "location" not in response.headers
    assert text in response.text


async def test_unsupported_response_type_goes_back_to_the_app() -> None:
    async with client_for(make_server()) as client:
        response = await client.get(
            AUTHORIZE,
            params={
                "response_type": "bogus",
                "client_id": CONSUMER_KEY,
                "redirect_uri": CALLBACK,
                "state": "s",
            },
        )
    assert response.status_code == 302
    params = httpx.URL(response.headers["location"]).params
    assert params["error"] == "unsupported_response_type"
    assert params["state"] == "s"


async def test_code_exchange_returns_a_refresh_token_when_the_app_has_the_scope() -> None:
    server = make_server()
    async with client_for(server) as client:
        code = await log_in_and_get_code(client)
        response = await client.post(TOKEN, data=code_form(code))
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == [
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    ]
    assert body["refresh_token"].startswith("5Aep")
    assert "refresh_token" in body["scope"].split()
    assert body["instance_url"] == BASE
    assert server.authenticate_token(body["access_token"]).user.username == ALICE


async def test_no_refresh_token_without_the_scope() -> None:
    async with client_for(make_server()) as client:
        code = await log_in_and_get_code(client, client_id=NO_REFRESH_KEY)
        response = await client.post(
            TOKEN, data=code_form(code, client_id=NO_REFRESH_KEY, client_secret="other-secret")
        )
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()


async def test_asking_for_fewer_scopes_gets_no_refresh_token() -> None:
    async with client_for(make_server()) as client:
        code = await log_in_and_get_code(client, scope="api id")
        response = await client.post(TOKEN, data=code_form(code))
    body = response.json()
    assert body["scope"] == "api id"
    assert "refresh_token" not in body


async def test_code_is_single_use() -> None:
    async with client_for(make_server()) as client:
        code = await log_in_and_get_code(client)
        first = await client.post(TOKEN, data=code_form(code))
        second = await client.post(TOKEN, data=code_form(code))
        unknown = await client.post(TOKEN, data=code_form("aPrxmadeup"))
    assert first.status_code == 200
    expected = {"error": "invalid_grant", "error_description": "invalid authorization code"}
    assert (second.status_code, second.json()) == (400, expected)
    assert (unknown.status_code, unknown.json()) == (400, expected)


async def test_code_is_short_lived() -> None:
    clock = Clock()
    async with client_for(make_server(clock)) as client:
        code = await log_in_and_get_code(client)
        clock.advance(16 * 60)
        response = await client.post(TOKEN, data=code_form(code))
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "expired authorization code",
    }


async def test_redirect_uri_must_match_the_authorize_request() -> None:
    async with client_for(make_server()) as client:
        code = await log_in_and_get_code(client)
        response = await client.post(TOKEN, data=code_form(code, redirect_uri=PUBLIC_CALLBACK))
    assert response.status_code == 400
    assert response.json() == {
        "error": "redirect_uri_mismatch",
        "error_description": "redirect_uri must match configuration",
    }


async def test_bad_client_secret_on_code_exchange() -> None:
    async with client_for(make_server()) as client:
        code = await log_in_and_get_code(client)
        response = await client.post(TOKEN, data=code_form(code, client_secret="nope"))
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }


async def test_pkce_public_client_success_and_verifier_mismatch() -> None:
    verifier = "a-verifier-that-is-long-enough-to-be-realistic-0123456789"
    async with client_for(make_server()) as client:
        code = await log_in_and_get_code(
            client,
            redirect_uri=PUBLIC_CALLBACK,
            code_challenge=challenge_of(verifier),
            code_challenge_method="S256",
        )
        ok = await client.post(
            TOKEN,
            data=code_form(
                code, client_secret="", redirect_uri=PUBLIC_CALLBACK, code_verifier=verifier
            ),
        )
        assert ok.status_code == 200, ok.text

        code = await log_in_and_get_code(
            client, redirect_uri=PUBLIC_CALLBACK, code_challenge=challenge_of(verifier)
        )
        wrong = await client.post(
            TOKEN,
            data=code_form(
                code, client_secret="", redirect_uri=PUBLIC_CALLBACK, code_verifier="other"
            ),
        )
        code = await log_in_and_get_code(
            client, redirect_uri=PUBLIC_CALLBACK, code_challenge=challenge_of(verifier)
        )
        missing = await client.post(
            TOKEN, data=code_form(code, client_secret="", redirect_uri=PUBLIC_CALLBACK)
        )
    expected = {"error": "invalid_grant", "error_description": "invalid code verifier"}
    assert (wrong.status_code, wrong.json()) == (400, expected)
    assert (missing.status_code, missing.json()) == (400, expected)


async def test_without_pkce_the_secret_is_required() -> None:
    async with client_for(make_server()) as client:
        code = await log_in_and_get_code(client)
        response = await client.post(TOKEN, data=code_form(code, client_secret=""))
    assert response.json()["error"] == "invalid_client"


async def test_user_agent_flow_puts_the_token_in_the_fragment() -> None:
    server = make_server()
    async with client_for(server) as client:
        response = await client.post(AUTHORIZE, data=sign_in_form("token", state="st"))
    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    assert not location.query
    fragment = dict(httpx.QueryParams(location.fragment))
    assert fragment["state"] == "st"
    assert fragment["token_type"] == "Bearer"
    assert server.authenticate_token(fragment["access_token"]).user.username == ALICE
