"""Getting an access token from Salesforce's OAuth 2.0 token endpoint, for every flow we use.

Flows (Salesforce Help, "OAuth Authorization Flows"): JWT bearer (an RS256 assertion with
iss = consumer key, sub = username, aud = login URL, exp at most 3 minutes ahead), username +
password (password and security token glued together), web server (authorization URL with
`state` and a PKCE S256 challenge, code exchange, then refresh tokens), refresh token, and
client credentials. Token answers carry no lifetime (recordings, Fact 7), so a token is used
until Salesforce answers INVALID_SESSION_ID; `TokenCache` then fetches one new token for all
the calls that saw the old one fail.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import inspect
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from forcebridge.salesforce.credentials import PRODUCTION, SANDBOX, Credentials
from forcebridge.salesforce.errors import (
    AuthenticationError,
    RetryableError,
    certificate_error,
    error_from_response,
)

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 - a URL path, not a secret
AUTHORIZE_PATH = "/services/oauth2/authorize"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Salesforce requires exp within 3 minutes; 2 leaves room for clock skew.
ASSERTION_LIFETIME = 120


@dataclass(frozen=True)
class Token:
    """A token answer. Secrets are kept out of repr."""

    access_token: str = field(repr=False)
    instance_url: str
    id_url: str = ""
    issued_at: float = 0.0
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Token:
        try:
            issued = float(body.get("issued_at") or 0) / 1000.0
        except (TypeError, ValueError):
            issued = 0.0
        return cls(
            access_token=str(body["access_token"]),
            instance_url=str(body["instance_url"]).rstrip("/"),
            id_url=str(body.get("id") or ""),
            issued_at=issued or time.time(),
            refresh_token=body.get("refresh_token"),
            scope=body.get("scope"),
        )


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair: keep `verifier` until the code exchange, send `challenge` (S256) along."""

    verifier: str = field(repr=False)
    challenge: str


def pkce_pair() -> Pkce:
    verifier = secrets.token_urlsafe(64)[:128]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return Pkce(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


def new_state() -> str:
    """An unguessable `state` value binding a callback to the browser that started it."""
    return secrets.token_urlsafe(32)


def authorization_url(
    credentials: Credentials,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    *,
    scope: str | None = "api refresh_token id",
    prompt: str | None = None,
) -> str:
    """Where to send a person's browser to start the web-server flow."""
    params = {
        "response_type": "code",
        "client_id": credentials.consumer_key,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if scope:
        params["scope"] = scope
    if prompt:
        params["prompt"] = prompt
    return f"{credentials.login_url}{AUTHORIZE_PATH}?{urlencode(params)}"


def jwt_audience(login_url: str) -> str:
    """The `aud` claim: the login URL, except that a My Domain URL is not an accepted audience;
    Salesforce wants login.salesforce.com (or test.salesforce.com for a sandbox) there
    (Salesforce Help, "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration")."""
    host = urlsplit(login_url).hostname or ""
    if host.endswith(".sandbox.my.salesforce.com"):
        return SANDBOX
    if host.endswith(".my.salesforce.com"):
        return PRODUCTION
    return login_url


def jwt_assertion(credentials: Credentials, *, now: float | None = None) -> str:
    """The signed JWT of the bearer flow (RS256 with the connected app's private key)."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": credentials.consumer_key,
        "sub": credentials.username,
        "aud": jwt_audience(credentials.login_url),
        "exp": issued + ASSERTION_LIFETIME,
    }
    import jwt  # only this flow signs: every other command starts without PyJWT

    try:
        return jwt.encode(claims, credentials.private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError):
        # The key's text must not reach the message.
        raise AuthenticationError(
            "invalid_private_key", "the private key is not a usable RSA key in PEM form"
        ) from None


def token_form(credentials: Credentials) -> dict[str, str]:
    """The token request's form fields for the credentials' flow."""
    c = credentials
    if c.flow == "jwt_bearer":
        return {"grant_type": JWT_BEARER, "assertion": jwt_assertion(c)}
    if c.flow == "password":
        return {
            "grant_type": "password",
            "client_id": c.consumer_key,
            "client_secret": c.consumer_secret,
            "username": c.username,
            "password": c.password + c.security_token,
        }
    if c.flow == "client_credentials":
        return {
            "grant_type": "client_credentials",
            "client_id": c.consumer_key,
            "client_secret": c.consumer_secret,
        }
    if c.flow in ("web_server", "refresh_token"):
        form = {
            "grant_type": "refresh_token",
            "client_id": c.consumer_key,
            "refresh_token": c.refresh_token,
        }
        if c.consumer_secret:
            form["client_secret"] = c.consumer_secret
        return form
    raise AuthenticationError("unsupported_flow", f"unknown flow {c.flow!r}")


async def post_token(
    http: httpx.AsyncClient, login_url: str, form: dict[str, str], *, refresh: bool = False
) -> Token:
    """POST the token form; errors become AuthenticationError / AuthorizationRevoked."""
    try:
        response = await http.post(
            login_url.rstrip("/") + TOKEN_PATH,
            data=form,
            headers={"Accept": "application/json"},
        )
    except httpx.TransportError as exc:
        untrusted = certificate_error(exc, "token request")
        if untrusted is not None:
            raise untrusted from None
        # Re-asking for a token is always safe.
        raise RetryableError(type(exc).__name__, "token request failed: no answer") from None
    if response.status_code >= 400:
        raise error_from_response(response.status_code, response.content, refresh=refresh)
    return Token.from_json(response.json())


async def fetch_token(http: httpx.AsyncClient, credentials: Credentials) -> Token:
    """A new access token for the credentials' flow."""
    credentials.check()
    refresh = credentials.flow in ("web_server", "refresh_token")
    return await post_token(http, credentials.login_url, token_form(credentials), refresh=refresh)


async def exchange_code(
    credentials: Credentials,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    http_timeout: float = 30.0,
) -> Token:
    """The web-server flow's second half: the authorization code for tokens (with the refresh
    token, when the connected app grants the refresh_token scope)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": credentials.consumer_key,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    if credentials.consumer_secret:
        form["client_secret"] = credentials.consumer_secret
    async with httpx.AsyncClient(
        transport=transport, timeout=http_timeout, verify=credentials.verify()
    ) as http:
        return await post_token(http, credentials.login_url, form)


TokenListener = Callable[[Token], Awaitable[None] | None]


class TokenCache:
    """The current token of one client; concurrent calls that find it dead share one login.

    `on_token` is told of every new token (the service stores a rotated refresh token there).
    """

    def __init__(
        self,
        credentials: Credentials,
        fetch: Callable[[], Awaitable[Token]],
        *,
        token: Token | None = None,
        on_token: TokenListener | None = None,
    ) -> None:
        self.credentials = credentials
        self._fetch = fetch
        self._token = token
        self._lock = asyncio.Lock()
        self._on_token = on_token

    @property
    def current(self) -> Token | None:
        return self._token

    async def get(self) -> Token:
        if self._token is not None:
            return self._token
        async with self._lock:
            if self._token is None:
                token = await self._fetch()
                if not token.refresh_token and self._token_refreshable():
                    # A refresh answer carries no new refresh token: keep the one we have.
                    token = _with_refresh(token, self.credentials.refresh_token)
                elif token.refresh_token and self._token_refreshable():
                    # Refresh token rotation: the next refresh must use the new one.
                    self.credentials = self.credentials.with_refresh_token(token.refresh_token)
                self._token = token
                await self._notify(token)
            return self._token

    async def invalidate(self, dead: Token) -> None:
        """Forget `dead` (unless another call already replaced it)."""
        async with self._lock:
            if self._token is dead:
                self._token = None

    def _token_refreshable(self) -> bool:
        return bool(self.credentials.refresh_token)

    async def _notify(self, token: Token) -> None:
        if self._on_token is None:
            return
        result = self._on_token(token)
        if inspect.isawaitable(result):
            await result


def _with_refresh(token: Token, refresh_token: str) -> Token:
    return Token(
        access_token=token.access_token,
        instance_url=token.instance_url,
        id_url=token.id_url,
        issued_at=token.issued_at,
        refresh_token=refresh_token,
        scope=token.scope,
    )
