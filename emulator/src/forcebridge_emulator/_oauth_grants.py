"""How the token endpoint decides who is asking: one check per OAuth grant type.

Each function takes the request's form parameters and answers the (user, app, scopes) the
new token acts for, or raises `OAuthError` with the exact `error`/`error_description` pair
Salesforce sends. The wording comes from real answers quoted in public issue trackers and
Salesforce's help pages (see emulator/tests/test_oauth_*.py for the sources).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import jwt
from cryptography import x509

from forcebridge_emulator._config import ConnectedAppConfig, OrgConfig, UserConfig
from forcebridge_emulator._errors import OAuthError
from forcebridge_emulator._oauth_tokens import AuthCode, RefreshGrant, TokenStore

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Salesforce documents `exp` as "within 3 minutes"; a few seconds of slack absorb the time
# a client spends between signing and sending.
MAX_ASSERTION_AHEAD = 180.0
ASSERTION_LEEWAY = 5.0
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
# Scopes that never come with a token minted without a user present.
_OFFLINE_SCOPES = frozenset({"refresh_token", "offline_access"})


def authentication_failure() -> OAuthError:
    return OAuthError("invalid_grant", "authentication failure")


def bad_client_id() -> OAuthError:
    return OAuthError("invalid_client_id", "client identifier invalid")


def bad_client_secret() -> OAuthError:
    return OAuthError("invalid_client", "invalid client credentials")


def expired_token() -> OAuthError:
    return OAuthError("invalid_grant", "expired access/refresh token")


def invalid_assertion() -> OAuthError:
    return OAuthError("invalid_grant", "invalid assertion")


@dataclass
class Grant:
    """What a successful grant check yields: the identity and scope of the token to mint."""

    user: UserConfig
    app: ConnectedAppConfig
    scopes: tuple[str, ...]
    refresh: RefreshGrant | None = None  # the refresh token to hand out / mint under


class Directory:
    """Read access to the org's users and connected apps (live: admin changes show up)."""

    def __init__(self, config: OrgConfig) -> None:
        self.config = config

    def app(self, consumer_key: str | None) -> ConnectedAppConfig | None:
        if not consumer_key:
            return None
        for app in self.config.connected_apps:
            if hmac.compare_digest(app.consumer_key.encode(), consumer_key.encode()):
                return app
        return None

    def user(self, username: str | None) -> UserConfig | None:
        """By username, case-insensitively as Salesforce matches usernames."""
        if not username:
            return None
        wanted = username.strip().lower()
        for user in self.config.users:
            if user.username.lower() == wanted:
                return user
        return None

    def user_by_id(self, user_id: str) -> UserConfig | None:
        for user in self.config.users:
            if user.user_id and user.user_id[:15] == user_id[:15]:
                return user
        return None


def client(
    form: Mapping[str, str], directory: Directory, *, secret_required: bool
) -> ConnectedAppConfig:
    """The connected app named by client_id, its secret checked (when given or required)."""
    app = directory.app(form.get("client_id"))
    if app is None:
        raise bad_client_id()
    secret = form.get("client_secret")
    if secret is None and not secret_required:
        return app
    if not secret or not hmac.compare_digest(secret.encode(), app.consumer_secret.encode()):
        raise bad_client_secret()
    return app


def app_scopes(app: ConnectedAppConfig, *, offline: bool = True) -> tuple[str, ...]:
    return tuple(s for s in app.scopes if offline or s not in _OFFLINE_SCOPES)


def requested_scopes(app: ConnectedAppConfig, requested: str | None) -> tuple[str, ...]:
    """The app's scopes narrowed to what was asked for (all of them when nothing was)."""
    if not requested:
        return app_scopes(app)
    asked = set(requested.replace(",", " ").split())
    return tuple(s for s in app.scopes if s in asked or "full" in asked)


def wants_refresh_token(scopes: Iterable[str]) -> bool:
    return any(s in _OFFLINE_SCOPES for s in scopes)


def password_matches(user: UserConfig, presented: str, *, with_token: bool) -> bool:
    """The API login takes password + security token glued together; the login form doesn't."""
    expected = user.password + (user.security_token if with_token else "")
    return hmac.compare_digest(presented.encode(), expected.encode())


def password_grant(form: Mapping[str, str], directory: Directory) -> Grant:
    app = client(form, directory, secret_required=True)
    user = directory.user(form.get("username"))
    presented = form.get("password", "")
    if user is None or not user.active or not password_matches(user, presented, with_token=True):
        raise authentication_failure()
    return Grant(user, app, app_scopes(app))


def client_credentials_grant(form: Mapping[str, str], directory: Directory) -> Grant:
    app = client(form, directory, secret_required=True)
    if not app.client_credentials_user:
        raise OAuthError("invalid_grant", "no client credentials user enabled")
    user = directory.user(app.client_credentials_user)
    if user is None or not user.active:
        raise OAuthError("invalid_grant", "no client credentials user enabled")
    return Grant(user, app, app_scopes(app, offline=False))


def refresh_token_grant(form: Mapping[str, str], directory: Directory, store: TokenStore) -> Grant:
    app = client(form, directory, secret_required=False)
    grant = store.refresh(form.get("refresh_token", ""))
    if grant is None or grant.app is not app or not grant.user.active:
        raise expired_token()
    return Grant(grant.user, app, grant.scopes, refresh=grant)


def authorization_code_grant(
    form: Mapping[str, str], directory: Directory, store: TokenStore
) -> Grant:
    app = directory.app(form.get("client_id"))
    if app is None:
        raise bad_client_id()
    code = store.take_code(form.get("code", ""))
    if code is None or code.app is not app:
        raise OAuthError("invalid_grant", "invalid authorization code")
    if store.code_expired(code):
        raise OAuthError("invalid_grant", "expired authorization code")
    # A public client proves itself with PKCE; a confidential one with its secret.
    if code.code_challenge is None or form.get("client_secret") is not None:
        client(form, directory, secret_required=True)
    if form.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
    check_code_verifier(code, form.get("code_verifier"))
    return Grant(code.user, app, code.scopes)


def s256(verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_code_verifier(code: AuthCode, verifier: str | None) -> None:
    if code.code_challenge is None:
        return
    if not verifier or not hmac.compare_digest(s256(verifier), code.code_challenge):
        raise OAuthError("invalid_grant", "invalid code verifier")


def jwt_bearer_grant(
    form: Mapping[str, str], directory: Directory, *, audiences: Iterable[str], now: float
) -> Grant:
    """Verify an RS256 assertion against the connected app's certificate.

    Order matters for which error a client sees: the issuer (app) first, then the
    signature, then audience, expiry and finally the user, as Salesforce reports them.
    """
    assertion = form.get("assertion", "")
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise invalid_assertion() from None
    app = directory.app(_claim(claims, "iss"))
    if app is None:
        raise bad_client_id()
    if header.get("alg") != "RS256" or not app.certificate_pem:
        raise invalid_assertion()
    try:
        public_key = x509.load_pem_x509_certificate(app.certificate_pem.encode()).public_key()
        jwt.decode(
            assertion,
            public_key,  # type: ignore[arg-type]
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_aud": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except (jwt.PyJWTError, ValueError):
        raise invalid_assertion() from None
    allowed = {a.rstrip("/") for a in audiences}
    aud = claims.get("aud")
    aud_values = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a.rstrip("/") in allowed for a in aud_values):
        raise OAuthError("invalid_grant", "audience is invalid")
    exp = _number(claims.get("exp"))
    if exp is None or exp > now + MAX_ASSERTION_AHEAD + ASSERTION_LEEWAY:
        raise invalid_assertion()
    if exp <= now:
        # What real orgs answer to an assertion whose exp has passed (simple-salesforce #371).
        raise OAuthError("invalid_grant", "expired authorization code")
    user = directory.user(_claim(claims, "sub"))
    if user is None or not user.active:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return Grant(user, app, app_scopes(app))


def _claim(claims: Mapping[str, object], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None


def _number(value: object) -> float | None:
    """`exp` as a number; some clients (simple-salesforce) send it as a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def signature(consumer_secret: str, identity_url: str, issued_at: str) -> str:
    """The token response's `signature`: base64 HMAC-SHA256 of id + issued_at, keyed by the
    consumer secret, so a client can check the response came from the org."""
    mac = hmac.new(consumer_secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")
