"""The browser half of OAuth: `/services/oauth2/authorize` and its login page.

A person (or a test driving a browser-like client) lands here from a connected app,
logs in with username and password, and is sent back to the app's callback with an
authorization code (web server flow, optionally PKCE) or, for `response_type=token`,
with the token in the URL fragment (user-agent flow). Parameter problems that make the
callback itself untrustworthy (unknown app, unregistered redirect URI) are shown as an
error page instead of a redirect, as Salesforce does.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from forcebridge_emulator import _oauth_grants as oauth_grants
from forcebridge_emulator._config import ConnectedAppConfig, OrgConfig
from forcebridge_emulator._oauth_grants import Directory, Grant
from forcebridge_emulator._oauth_tokens import TokenStore

PATH = "/services/oauth2/authorize"
# The authorize parameters carried through the login form as hidden fields.
CARRIED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
)
# Salesforce's own wording on its login page after a failed attempt.
LOGIN_FAILED = (
    "Please check your username and password. If you still can't log in, "
    "contact your Salesforce administrator."
)

_templates = Environment(
    loader=PackageLoader("forcebridge_emulator", "templates"),
    autoescape=select_autoescape(["html"]),
)


class Issuer(Protocol):
    """What the login page needs of the OAuth server that owns it."""

    config: OrgConfig
    directory: Directory
    tokens: TokenStore

    def token_body(
        self,
        conn: HTTPConnection,
        grant: Grant,
        *,
        scope: bool = True,
        signed: bool = True,
        with_refresh: bool = False,
    ) -> dict[str, Any]: ...


class AuthorizePage:
    """GET renders the login form; POST checks it and redirects back to the app."""

    def __init__(self, server: Issuer) -> None:
        self.server = server

    async def endpoint(self, request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        app = self.server.directory.app(params.get("client_id"))
        if app is None:
            return self._error_page("invalid_client_id", "client identifier invalid")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in app.callback_urls:
            return self._error_page(
                "redirect_uri_mismatch", "redirect_uri must match configuration"
            )
        response_type = params.get("response_type")
        if response_type not in ("code", "token"):
            return self._back(
                params,
                error="unsupported_response_type",
                error_description="response type not supported",
            )
        if params.get("code_challenge") and params.get("code_challenge_method", "S256") != "S256":
            return self._back(
                params, error="invalid_request", error_description="invalid code_challenge_method"
            )
        if request.method == "GET":
            return self._login_page(params, app)
        return self._login(request, params, app)

    def _login(self, request: Request, params: dict[str, str], app: ConnectedAppConfig) -> Response:
        user = self.server.directory.user(params.get("username"))
        password = params.get("password", "")
        if (
            user is None
            or not user.active
            or not oauth_grants.password_matches(user, password, with_token=False)
        ):
            return self._login_page(params, app, error=LOGIN_FAILED)
        scopes = oauth_grants.requested_scopes(app, params.get("scope"))
        redirect_uri = params["redirect_uri"]
        if params["response_type"] == "code":
            code = self.server.tokens.new_code(
                user, app, redirect_uri, scopes, params.get("code_challenge") or None
            )
            return self._back(params, code=code.code)
        # User-agent flow: the token travels in the fragment, never to the app's server.
        grant = Grant(user, app, scopes)
        if oauth_grants.wants_refresh_token(scopes):
            grant.refresh = self.server.tokens.new_refresh(user, app, scopes)
        body = self.server.token_body(request, grant, with_refresh=True)
        return self._back(params, fragment=True, **body)

    def _login_page(
        self, params: dict[str, str], app: ConnectedAppConfig, *, error: str | None = None
    ) -> HTMLResponse:
        html = _templates.get_template("login.html").render(
            org_name=self.server.config.name,
            app_name=app.name,
            action=PATH,
            hidden=[(k, params[k]) for k in CARRIED if params.get(k)],
            username=params.get("username", ""),
            error=error,
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-cache, no-store"})

    def _error_page(self, error: str, description: str) -> HTMLResponse:
        html = _templates.get_template("oauth_error.html").render(
            org_name=self.server.config.name,
            query=urlencode({"error": error, "error_description": description}),
        )
        return HTMLResponse(html, status_code=400)

    def _back(self, params: dict[str, str], *, fragment: bool = False, **values: str) -> Response:
        """302 to the app's callback with `values` (+ state) in the query or fragment."""
        if params.get("state"):
            values["state"] = params["state"]
        parts = urlsplit(params["redirect_uri"])
        encoded = urlencode(values)
        if fragment:
            target = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, encoded))
        else:
            query = f"{parts.query}&{encoded}" if parts.query else encoded
            target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
        return RedirectResponse(target, status_code=302)
