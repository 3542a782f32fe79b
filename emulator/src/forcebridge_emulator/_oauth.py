"""The emulated org's OAuth 2.0 server: token, authorize, revoke, userinfo and identity.

Salesforce is reached by clients through these endpoints before anything else, and their
answers are the part of the protocol client libraries are strictest about (exact keys of
the token response, exact `error`/`error_description` pairs, `WWW-Authenticate: Token` on
a 401). The grant checks live in `oauth_grants`, token bookkeeping in `oauth_tokens`, the
identity documents in `identity`; this module speaks HTTP.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import quote, unquote

from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from forcebridge_emulator import _identity as identity
from forcebridge_emulator import _oauth_grants as oauth_grants
from forcebridge_emulator._config import ConnectedAppConfig, OrgConfig, UserConfig
from forcebridge_emulator._errors import ApiError, OAuthError
from forcebridge_emulator._ids import base62, checksum
from forcebridge_emulator._oauth_authorize import AuthorizePage
from forcebridge_emulator._oauth_grants import JWT_BEARER, LOGIN_AUDIENCES, Directory, Grant
from forcebridge_emulator._oauth_tokens import DEFAULT_SESSION_TIMEOUT, Session, TokenStore

__all__ = ["OAuthServer", "Session"]

TOKEN_HEADERS = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
JSON_TYPE = "application/json;charset=UTF-8"
_AUTH_SCHEMES = ("bearer", "oauth")


class _HasConfig(Protocol):
    config: OrgConfig


def session_expired() -> ApiError:
    """The REST layer's 401 for a missing, unknown, expired or revoked token."""
    return ApiError(
        401,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
        None,
        headers={"WWW-Authenticate": "Token"},
    )


def derived_id(prefix: str, seed: str) -> str:
    """A stable 18-char id for an org or user declared without one (same seed, same id)."""
    n = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % (62**10)
    head = prefix + "0E" + base62(n, 10)
    return head + checksum(head)


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token of `Authorization: Bearer <t>` or `OAuth <t>` (restforce sends the latter)."""
    header = conn.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() in _AUTH_SCHEMES and token.strip():
        return token.strip()
    return None


def json_response(body: Any, status: int = 200) -> Response:
    """Compact JSON with Salesforce's content type and no-cache headers."""
    content = json.dumps(body, separators=(",", ":"))
    return Response(content, status_code=status, media_type=JSON_TYPE, headers=TOKEN_HEADERS)


def oauth_error_response(exc: OAuthError) -> Response:
    return json_response(exc.body(), exc.status)


class OAuthServer:
    """Issues and checks tokens for one org's users through its connected apps.

    Built from the org (anything with `.config: OrgConfig`) or, stand-alone, from an
    `OrgConfig`. Users and apps are read live from the config, so runtime additions
    through `add_user`/`add_connected_app` take effect at once.
    """

    def __init__(
        self,
        org: _HasConfig | OrgConfig,
        *,
        base_url: str | None = None,
        clock: Callable[[], float] = time.time,
        session_timeout: float | None = DEFAULT_SESSION_TIMEOUT,
    ) -> None:
        self.config: OrgConfig = org if isinstance(org, OrgConfig) else org.config
        self.base_url = base_url.rstrip("/") if base_url else None
        self.clock = clock
        if not self.config.org_id:
            self.config.org_id = derived_id("00D", self.config.name)
        for user in self.config.users:
            if not user.user_id:
                user.user_id = derived_id("005", user.username.lower())
        self.directory = Directory(self.config)
        self.tokens = TokenStore(self.config.org_id, clock=clock, session_timeout=session_timeout)
        self._page = AuthorizePage(self)

    @property
    def org_id(self) -> str:
        return self.config.org_id

    # -- wiring ------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/services/oauth2/token", self._token, methods=["POST"]),
            Route("/services/oauth2/authorize", self._page.endpoint, methods=["GET", "POST"]),
            Route("/services/oauth2/revoke", self._revoke, methods=["GET", "POST"]),
            Route("/services/oauth2/userinfo", self._userinfo, methods=["GET", "POST"]),
            Route("/id/{org_id}/{user_id}", self._identity, methods=["GET", "POST"]),
        ]

    def instance_url(self, conn: HTTPConnection) -> str:
        """Where clients reach this org: configured, the emulator's, or the request's own."""
        if self.base_url:
            return self.base_url
        emulator = getattr(getattr(conn.app, "state", None), "emulator", None)
        resolve = getattr(emulator, "instance_url", None)
        if callable(resolve):
            return str(resolve(conn)).rstrip("/")
        if self.config.instance_url:
            return self.config.instance_url.rstrip("/")
        return str(conn.base_url).rstrip("/")

    # -- for the REST layer, fault injection and admin -----------------------------------
    def authenticate(self, conn: HTTPConnection) -> Session:
        """The session behind the request's bearer token, or the 401 Salesforce answers."""
        return self.authenticate_token(bearer_token(conn) or "")

    def authenticate_token(self, token: str) -> Session:
        """The live session of a bare access token (raises the same 401 as `authenticate`)."""
        session = self.tokens.session(token) if token else None
        if session is None:
            raise session_expired()
        return session

    def expire_session(self, token: str) -> bool:
        return self.tokens.expire_session(token)

    def expire_all_sessions(self) -> int:
        return self.tokens.expire_all_sessions()

    def revoke(self, token: str) -> bool:
        return self.tokens.revoke(token)

    def issue_token_for(self, username: str, *, consumer_key: str | None = None) -> str:
        """An access token for a user without any OAuth dance (tests, admin surface)."""
        user = self.directory.user(username)
        if user is None:
            raise KeyError(f"no user {username!r} in this org")
        app = self.directory.app(consumer_key) if consumer_key else None
        if consumer_key and app is None:
            raise KeyError(f"no connected app with consumer key {consumer_key!r}")
        scopes = oauth_grants.app_scopes(app, offline=False) if app else ("api", "id", "web")
        return self.tokens.new_session(user, app, scopes).access_token

    def add_user(self, user: UserConfig) -> UserConfig:
        """Add a user (or replace the one with the same username, ending its sessions)."""
        existing = self.directory.user(user.username)
        if not user.user_id:
            # A replaced user keeps their id, so records they own stay theirs.
            user.user_id = (
                existing.user_id if existing else derived_id("005", user.username.lower())
            )
        if existing is not None:
            self.tokens.forget_user(existing.username)
            self.config.users.remove(existing)
        self.config.users.append(user)
        return user

    def add_connected_app(self, app: ConnectedAppConfig) -> ConnectedAppConfig:
        """Add a connected app, replacing one with the same consumer key."""
        existing = self.directory.app(app.consumer_key)
        if existing is not None:
            self.config.connected_apps.remove(existing)
        self.config.connected_apps.append(app)
        return app

    def set_certificate(self, consumer_key: str, certificate_pem: str) -> ConnectedAppConfig:
        """Upload the X.509 certificate JWT assertions of this app are verified with."""
        app = self.directory.app(consumer_key)
        if app is None:
            raise KeyError(f"no connected app with consumer key {consumer_key!r}")
        app.certificate_pem = certificate_pem
        return app

    # -- token endpoint ----------------------------------------------------------------
    async def _token(self, request: Request) -> Response:
        form = await request_params(request)
        try:
            grant_type = form.get("grant_type", "")
            body = self._grant(grant_type, form, request)
        except OAuthError as exc:
            return oauth_error_response(exc)
        return json_response(body)

    def _grant(self, grant_type: str, form: Mapping[str, str], request: Request) -> dict[str, Any]:
        d, store = self.directory, self.tokens
        if grant_type == "password":
            return self.token_body(request, oauth_grants.password_grant(form, d), scope=False)
        if grant_type == JWT_BEARER:
            audiences = (*LOGIN_AUDIENCES, self.instance_url(request), str(request.base_url))
            grant = oauth_grants.jwt_bearer_grant(form, d, audiences=audiences, now=self.clock())
            return self.token_body(request, grant, signed=False)
        if grant_type == "authorization_code":
            grant = oauth_grants.authorization_code_grant(form, d, store)
            if oauth_grants.wants_refresh_token(grant.scopes):
                grant.refresh = store.new_refresh(grant.user, grant.app, grant.scopes)
                return self.token_body(request, grant, with_refresh=True)
            return self.token_body(request, grant)
        if grant_type == "refresh_token":
            return self.token_body(request, oauth_grants.refresh_token_grant(form, d, store))
        if grant_type == "client_credentials":
            return self.token_body(request, oauth_grants.client_credentials_grant(form, d))
        raise OAuthError("unsupported_grant_type", "grant type not supported")

    def token_body(
        self,
        conn: HTTPConnection,
        grant: Grant,
        *,
        scope: bool = True,
        signed: bool = True,
        with_refresh: bool = False,
    ) -> dict[str, Any]:
        """Mint an access token for `grant` and answer in the shape of that flow.

        Password flow (recorded): no scope, no refresh token. JWT bearer (documented): no
        signature and no issued_at. The rest carry both plus scope.
        """
        session = self.tokens.new_session(
            grant.user, grant.app, grant.scopes, refresh=grant.refresh
        )
        base = self.instance_url(conn)
        id_url = identity.identity_url(base, self.org_id, grant.user.user_id)
        issued_at = str(int(session.issued_at * 1000))
        body: dict[str, Any] = {"access_token": session.access_token}
        if with_refresh and grant.refresh is not None:
            body["refresh_token"] = grant.refresh.token
        if signed:
            body["signature"] = oauth_grants.signature(grant.app.consumer_secret, id_url, issued_at)
        if scope:
            body["scope"] = " ".join(grant.scopes)
        body["instance_url"] = base
        body["id"] = id_url
        body["token_type"] = "Bearer"  # noqa: S105 - a token type, not a secret
        if signed:
            body["issued_at"] = issued_at
        return body

    # -- revoke ------------------------------------------------------------------------
    async def _revoke(self, request: Request) -> Response:
        form = await request_params(request)
        if self.tokens.revoke(form.get("token", "")):
            return Response(status_code=200, headers=TOKEN_HEADERS)
        # Real orgs answer this one form-encoded, not JSON (omniphx/forrest#213).
        body = "error=unsupported_token_type&error_description=" + quote(
            "this token type is not supported"
        )
        return Response(
            body, 400, media_type="application/x-www-form-urlencoded", headers=TOKEN_HEADERS
        )

    # -- identity ----------------------------------------------------------------------
    def _identity_session(self, request: Request) -> Session | Response:
        token = bearer_token(request) or request.query_params.get("oauth_token")
        if not token:
            return PlainTextResponse("Missing_OAuth_Token", 403)
        session = self.tokens.session(token)
        if session is None:
            return PlainTextResponse("Bad_OAuth_Token", 403)
        return session

    async def _userinfo(self, request: Request) -> Response:
        session = self._identity_session(request)
        if isinstance(session, Response):
            return session
        base = self.instance_url(request)
        version = request.query_params.get("version")
        doc = identity.userinfo_document(base, self.org_id, session.user, version=version)
        return json_response(doc)

    async def _identity(self, request: Request) -> Response:
        session = self._identity_session(request)
        if isinstance(session, Response):
            return session
        org_id = str(request.path_params["org_id"])
        user = self.directory.user_by_id(str(request.path_params["user_id"]))
        if org_id[:15] != self.org_id[:15] or user is None:
            return PlainTextResponse("Bad_Id", 404)
        base = self.instance_url(request)
        version = request.query_params.get("version")
        return json_response(identity.identity_document(base, self.org_id, user, version=version))


async def request_params(request: Request) -> dict[str, str]:
    """Query string and form body merged (the body wins), plus HTTP Basic client credentials.

    Salesforce takes token parameters from either place, and client id/secret from an
    `Authorization: Basic` header as well.
    """
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, sep, secret = decoded.partition(":")
        if sep:
            params.setdefault("client_id", unquote(client_id))
            params.setdefault("client_secret", unquote(secret))
    return params
