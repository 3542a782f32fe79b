"""The emulator's memory of what it has handed out: access tokens, refresh tokens, codes.

Everything here is pure bookkeeping (no HTTP, no I/O) so the OAuth endpoints, the REST
layer's `authenticate` and the fault injector all see one consistent picture. Tokens are
opaque random strings shaped like Salesforce's (`00D...!AQ...` access tokens, `5Aep...`
refresh tokens, `aPrx...` authorization codes) so client code that logs or masks them by
shape behaves as it would against a real org.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from forcebridge_emulator._config import ConnectedAppConfig, UserConfig

# Salesforce's default session timeout: two hours without a call.
DEFAULT_SESSION_TIMEOUT = 2 * 60 * 60.0
# Salesforce documents authorization codes as valid for 15 minutes at most.
CODE_LIFETIME = 15 * 60.0


@dataclass(eq=False)
class Session:
    """One live access token: who it acts as and through which connected app.

    `app` is None for tokens minted by the emulator itself (`issue_token_for`).
    """

    user: UserConfig
    app: ConnectedAppConfig | None
    access_token: str = field(repr=False)
    scopes: tuple[str, ...]
    issued_at: float
    last_used: float
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(eq=False)
class RefreshGrant:
    """A refresh token and the access tokens minted from it (revoked together)."""

    token: str = field(repr=False)
    user: UserConfig
    app: ConnectedAppConfig
    scopes: tuple[str, ...]
    access_tokens: set[str] = field(default_factory=set, repr=False)


@dataclass(eq=False)
class AuthCode:
    """An authorization code waiting to be exchanged once (web server flow)."""

    code: str = field(repr=False)
    user: UserConfig
    app: ConnectedAppConfig
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    expires_at: float


class TokenStore:
    """Issued tokens for one org, in memory; the clock is injectable for tests."""

    def __init__(
        self,
        org_id: str,
        *,
        clock: Callable[[], float],
        session_timeout: float | None = DEFAULT_SESSION_TIMEOUT,
    ) -> None:
        self._org15 = org_id[:15]
        self._clock = clock
        self.session_timeout = session_timeout
        self._sessions: dict[str, Session] = {}
        self._refresh: dict[str, RefreshGrant] = {}
        self._codes: dict[str, AuthCode] = {}

    # -- minting -----------------------------------------------------------------------
    def new_session(
        self,
        user: UserConfig,
        app: ConnectedAppConfig | None,
        scopes: tuple[str, ...],
        *,
        refresh: RefreshGrant | None = None,
    ) -> Session:
        now = self._clock()
        token = f"{self._org15}!AQ{secrets.token_urlsafe(72)}"
        session = Session(
            user=user,
            app=app,
            access_token=token,
            scopes=scopes,
            issued_at=now,
            last_used=now,
            refresh_token=refresh.token if refresh else None,
        )
        self._sessions[token] = session
        if refresh is not None:
            refresh.access_tokens.add(token)
        return session

    def new_refresh(
        self, user: UserConfig, app: ConnectedAppConfig, scopes: tuple[str, ...]
    ) -> RefreshGrant:
        grant = RefreshGrant(f"5Aep{secrets.token_urlsafe(64)}", user, app, scopes)
        self._refresh[grant.token] = grant
        return grant

    def new_code(
        self,
        user: UserConfig,
        app: ConnectedAppConfig,
        redirect_uri: str,
        scopes: tuple[str, ...],
        code_challenge: str | None,
    ) -> AuthCode:
        code = AuthCode(
            code=f"aPrx{secrets.token_urlsafe(48)}",
            user=user,
            app=app,
            redirect_uri=redirect_uri,
            scopes=scopes,
            code_challenge=code_challenge,
            expires_at=self._clock() + CODE_LIFETIME,
        )
        self._codes[code.code] = code
        return code

    # -- lookups -----------------------------------------------------------------------
    def session(self, token: str) -> Session | None:
        """The live session of `token` (touching it), or None if unknown/expired/revoked."""
        session = self._sessions.get(token)
        if session is None:
            return None
        now = self._clock()
        if self.session_timeout is not None and now - session.last_used > self.session_timeout:
            self._drop_session(token)
            return None
        if not session.user.active:
            return None
        session.last_used = now
        return session

    def refresh(self, token: str) -> RefreshGrant | None:
        return self._refresh.get(token)

    def take_code(self, code: str) -> AuthCode | None:
        """The code, removed so it cannot be used twice (expired or not)."""
        return self._codes.pop(code, None)

    def code_expired(self, code: AuthCode) -> bool:
        return self._clock() > code.expires_at

    # -- ending ------------------------------------------------------------------------
    def revoke(self, token: str) -> bool:
        """Revoke an access token, or a refresh token with every access token it minted."""
        grant = self._refresh.pop(token, None)
        if grant is not None:
            for access in grant.access_tokens:
                self._sessions.pop(access, None)
            return True
        return self._drop_session(token)

    def expire_session(self, token: str) -> bool:
        """End one access token as a session timeout would (its refresh token lives on)."""
        return self._drop_session(token)

    def expire_all_sessions(self) -> int:
        """End every access token; refresh tokens survive, as after a real timeout."""
        count = len(self._sessions)
        for grant in self._refresh.values():
            grant.access_tokens.clear()
        self._sessions.clear()
        return count

    def forget_user(self, username: str) -> None:
        """Drop everything issued to a user (their account was replaced or removed)."""
        for token, session in list(self._sessions.items()):
            if session.user.username == username:
                self._drop_session(token)
        for token, grant in list(self._refresh.items()):
            if grant.user.username == username:
                self.revoke(token)

    @property
    def live_sessions(self) -> int:
        return len(self._sessions)

    def _drop_session(self, token: str) -> bool:
        session = self._sessions.pop(token, None)
        if session is None:
            return False
        if session.refresh_token:
            grant = self._refresh.get(session.refresh_token)
            if grant is not None:
                grant.access_tokens.discard(token)
        return True
