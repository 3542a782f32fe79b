"""Every login flow against the emulator's OAuth server, token caching and re-authentication."""

from __future__ import annotations

import asyncio
import time
from functools import cache
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from forcebridge.salesforce import (
    AuthenticationError,
    AuthorizationRevoked,
    Credentials,
    CredentialsError,
    Token,
    authorization_url,
    exchange_code,
    new_state,
    pkce_pair,
)
from forcebridge.salesforce.auth import jwt_assertion, jwt_audience
from forcebridge.salesforce.certificates import jwt_keypair
from tests.salesforce.emulated import Emulated

pytestmark = pytest.mark.anyio

CALLBACK = "http://localhost:8000/api/v1/oauth/callback"  # registered in the demo org's app


@cache
def key_and_certificate(name: str) -> tuple[str, str]:
    """An RSA private key (PEM) and a self-signed certificate for it."""
    pair = jwt_keypair(name)
    return pair.private_key_pem, pair.certificate_pem


def admin(emu: Emulated) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=emu.transport, base_url=emu.base_url)


async def test_password_flow_token_is_fetched_once_and_reused(emu: Emulated) -> None:
    tokens: list[Token] = []
    async with emu.client(on_token=tokens.append) as sf:
        await asyncio.gather(*(sf.limits() for _ in range(10)))
        await sf.describe("Account")
    assert len(tokens) == 1
    assert emu.emulator.oauth.tokens.live_sessions == 1


async def test_wrong_password_is_an_authentication_error_without_the_secret(emu: Emulated) -> None:
    creds = emu.credentials(password="wrong-password-42")
    async with emu.client(creds) as sf:
        with pytest.raises(AuthenticationError) as caught:
            await sf.authorize()
    error = caught.value
    assert not isinstance(error, AuthorizationRevoked)
    assert (error.code, error.message, error.status) == (
        "invalid_grant",
        "authentication failure",
        400,
    )
    for text in (str(error), repr(error), repr(creds), str(creds), repr(sf)):
        assert "wrong-password-42" not in text
        assert emu.org.config.connected_apps[0].consumer_secret not in text


async def test_client_credentials_flow(emu: Emulated) -> None:
    async with emu.client(emu.credentials("client_credentials")) as sf:
        me = await sf.authorize()
    assert me.username == emu.org.config.users[0].username


async def test_jwt_bearer_flow_with_a_registered_certificate(emu: Emulated) -> None:
    # No public recording of JWT bearer traffic exists; claims and errors follow Salesforce Help,
    # "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration".
    private_key, certificate = key_and_certificate("forcebridge-test")
    consumer_key = emu.org.config.connected_apps[0].consumer_key
    async with admin(emu) as http:
        answer = await http.put(
            f"/__emulator__/connected-apps/{consumer_key}/certificate", content=certificate
        )
        assert answer.status_code == 200
    creds = emu.credentials("jwt_bearer", private_key=private_key)
    claims = jwt.decode(jwt_assertion(creds), options={"verify_signature": False})
    assert claims["iss"] == consumer_key
    assert claims["sub"] == creds.username
    assert claims["aud"] == emu.base_url
    assert time.time() < claims["exp"] <= time.time() + 180
    async with emu.client(creds) as sf:
        me = await sf.authorize()
    assert me.username == creds.username
    assert private_key not in repr(creds) and private_key not in str(creds)

    other_key, _ = key_and_certificate("someone-else")
    async with emu.client(emu.credentials("jwt_bearer", private_key=other_key)) as sf:
        with pytest.raises(AuthenticationError) as caught:
            await sf.authorize()
    assert caught.value.code == "invalid_grant"


async def test_missing_fields_are_named_before_any_call(emu: Emulated) -> None:
    async with emu.client(emu.credentials("jwt_bearer")) as sf:
        with pytest.raises(CredentialsError, match="private_key"):
            await sf.authorize()


async def _web_server_login(emu: Emulated, creds: Credentials) -> Token:
    """Drive the browser half: authorize URL -> login form -> callback with code."""
    pkce = pkce_pair()
    state = new_state()
    url = authorization_url(creds, CALLBACK, state, pkce.challenge)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [state]
    assert url.startswith(emu.base_url + "/services/oauth2/authorize?")
    user = emu.org.config.users[0]
    async with admin(emu) as browser:
        page = await browser.get(url)
        assert page.status_code == 200
        form = {k: v[0] for k, v in query.items()}
        form.update(username=user.username, password=user.password)
        answer = await browser.post("/services/oauth2/authorize", data=form)
    assert answer.status_code == 302
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["state"] == [state]
    return await exchange_code(
        creds, back["code"][0], CALLBACK, pkce.verifier, transport=emu.transport
    )


async def test_web_server_flow_exchange_refresh_and_revocation(emu: Emulated) -> None:
    creds = emu.credentials("web_server", password="", security_token="")
    token = await _web_server_login(emu, creds)
    assert token.refresh_token and token.instance_url == emu.base_url
    assert token.refresh_token not in repr(token)

    connected = creds.with_refresh_token(token.refresh_token)
    seen: list[Token] = []
    async with emu.client(connected, on_token=seen.append) as sf:
        assert (await sf.authorize()).username == emu.org.config.users[0].username
        emu.emulator.oauth.expire_all_sessions()  # the access token dies, the refresh lives
        await sf.limits()
    assert len(seen) == 2
    assert all(t.refresh_token == token.refresh_token for t in seen)

    emu.emulator.oauth.revoke(token.refresh_token)
    async with emu.client(connected) as sf:
        with pytest.raises(AuthorizationRevoked) as caught:
            await sf.limits()
    assert caught.value.code == "invalid_grant"
    assert isinstance(caught.value, AuthenticationError)


async def test_revoked_while_working_raises_authorization_revoked(emu: Emulated) -> None:
    creds = emu.credentials("web_server", password="", security_token="")
    token = await _web_server_login(emu, creds)
    assert token.refresh_token
    async with emu.client(creds.with_refresh_token(token.refresh_token)) as sf:
        await sf.limits()
        emu.emulator.oauth.revoke(token.refresh_token)  # ends its access tokens as well
        with pytest.raises(AuthorizationRevoked):
            await sf.limits()


def test_jwt_audience_is_a_login_server_for_my_domain() -> None:
    assert jwt_audience("https://acme.my.salesforce.com") == "https://login.salesforce.com"
    assert jwt_audience("https://acme--uat.sandbox.my.salesforce.com") == (
        "https://test.salesforce.com"
    )
    assert jwt_audience("https://test.salesforce.com") == "https://test.salesforce.com"


async def test_session_expiring_mid_work_logs_in_again_and_finishes(
    emu: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    emu.faults("expire_after=7")
    tokens: list[Token] = []
    async with emu.client(on_token=tokens.append) as sf:
        ids = [await sf.create("Account", {"Name": f"E{i}"}) for i in range(20)]
        names = [r["Name"] async for r in sf.query("SELECT Name FROM Account ORDER BY Name")]
    assert len(set(ids)) == 20 and len(names) == 20  # nothing lost, nothing doubled
    assert emu.emulator.faults.injected["expired"] >= 2
    # A session that expired on the very last call is never needed again.
    assert 3 <= len(tokens) <= 1 + emu.emulator.faults.injected["expired"]
    assert "logging in again" in caplog.text
    user = emu.org.config.users[0]
    for secret in (*(t.access_token for t in tokens), user.password, user.security_token):
        assert secret not in caplog.text


async def test_concurrent_calls_on_a_dead_session_share_one_login(emu: Emulated) -> None:
    tokens: list[Token] = []
    async with emu.client(on_token=tokens.append) as sf:
        from forcebridge.salesforce import ConcurrencyPool

        sf._session.pool = ConcurrencyPool(10)
        await sf.limits()
        emu.emulator.oauth.expire_all_sessions()
        await asyncio.gather(*(sf.limits() for _ in range(10)))
    assert len(tokens) == 2


async def test_a_session_that_keeps_dying_is_logged_into_a_bounded_number_of_times(
    emu: Emulated,
) -> None:
    from forcebridge.salesforce.errors import AuthenticationError
    from forcebridge.salesforce.session import MAX_LOGINS_PER_CALL

    tokens: list[Token] = []

    def dead_on_arrival(token: Token) -> None:
        tokens.append(token)
        if len(tokens) > 1:
            emu.emulator.oauth.expire_all_sessions()  # the new session dies before it is used

    async with emu.client(on_token=dead_on_arrival) as sf:
        await sf.limits()
        emu.emulator.oauth.expire_all_sessions()
        with pytest.raises(AuthenticationError) as caught:
            await sf.limits()
    assert caught.value.code == "INVALID_SESSION_ID"
    assert len(tokens) == 1 + MAX_LOGINS_PER_CALL


async def test_a_session_that_dies_again_before_the_repeat_is_logged_into_again(
    emu: Emulated,
) -> None:
    tokens: list[Token] = []

    def dies_once_more(token: Token) -> None:
        tokens.append(token)
        if len(tokens) == 2:
            emu.emulator.oauth.expire_all_sessions()  # as if another caller's call expired it

    async with emu.client(on_token=dies_once_more) as sf:
        await sf.limits()
        emu.emulator.oauth.expire_all_sessions()
        assert "DailyApiRequests" in await sf.limits()
    assert len(tokens) == 3
