"""How to log in to one org: the flow, its fields, the login URL. Plain values, no I/O.

The service layer builds `Credentials` from a stored connection; the client reads them to get
tokens (auth.py). Secrets never show in `repr` or `str`, so a credentials object can be logged
or end up in a traceback without leaking anything.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field, fields, replace
from typing import Literal

Flow = Literal["jwt_bearer", "web_server", "password", "client_credentials", "refresh_token"]
FLOWS: tuple[str, ...] = ("jwt_bearer", "web_server", "password", "client_credentials")

PRODUCTION = "https://login.salesforce.com"
SANDBOX = "https://test.salesforce.com"
DEFAULT_API_VERSION = "62.0"
SECRET_FIELDS = frozenset(
    {"consumer_secret", "password", "security_token", "private_key", "refresh_token"}
)

# Fields each flow cannot work without (the web-server flow needs a refresh token once the
# code has been exchanged; before that only `exchange_code` can be used).
REQUIRED: dict[str, tuple[str, ...]] = {
    "jwt_bearer": ("consumer_key", "username", "private_key"),
    "password": ("consumer_key", "consumer_secret", "username", "password"),
    "client_credentials": ("consumer_key", "consumer_secret"),
    "web_server": ("consumer_key", "refresh_token"),
    "refresh_token": ("consumer_key", "refresh_token"),
}


class CredentialsError(ValueError):
    """Credentials that cannot work for their flow (a field is missing or the flow unknown)."""


@dataclass(frozen=True)
class Credentials:
    """One org's login: `flow` and the fields it uses (see `REQUIRED`).

    `login_url` is https://login.salesforce.com (production), https://test.salesforce.com
    (sandbox), a My Domain URL, or the emulator's URL. For `client_credentials` it must be the
    org's My Domain URL, as Salesforce documents.
    """

    flow: Flow
    login_url: str = PRODUCTION
    api_version: str = DEFAULT_API_VERSION
    consumer_key: str = ""
    consumer_secret: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    security_token: str = field(default="", repr=False)
    private_key: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    # A PEM file of CA certificates to trust instead of the system's (a private CA, a
    # TLS-inspecting proxy, `forcebridge-emulator serve --tls`).
    ca_bundle: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "login_url", self.login_url.rstrip("/"))
        version = self.api_version.removeprefix("v")
        object.__setattr__(self, "api_version", version if "." in version else f"{version}.0")

    def check(self) -> None:
        """Raise CredentialsError naming what the flow is missing."""
        if self.flow not in REQUIRED:
            raise CredentialsError(f"unknown flow {self.flow!r}; known: {', '.join(FLOWS)}")
        missing = [name for name in REQUIRED[self.flow] if not getattr(self, name)]
        if missing:
            raise CredentialsError(f"the {self.flow} flow needs: {', '.join(missing)}")
        if not self.login_url.startswith(("https://", "http://")):
            raise CredentialsError("login_url must be an http(s) URL")

    def verify(self) -> ssl.SSLContext | bool:
        """What httpx verifies the org's certificate against."""
        return ssl.create_default_context(cafile=self.ca_bundle) if self.ca_bundle else True

    def with_refresh_token(self, refresh_token: str) -> Credentials:
        """A copy holding a new refresh token (after a code exchange or a rotation)."""
        return replace(self, refresh_token=refresh_token)

    def __str__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                value = "***" if value else ""
            shown.append(f"{f.name}={value!r}")
        return f"Credentials({', '.join(shown)})"
