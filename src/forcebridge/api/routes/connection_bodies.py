"""The body of `POST /connections`: one schema per OAuth flow and kind of login URL, so the
OpenAPI document says which credentials each flow needs and a body it calls valid is one the
service accepts.

What no schema can say is still checked by the service and refused 422 naming the field:
`private_key` and `certificate` must parse as PEM, `ca_bundle` must be a readable file of
certificates on the server, and `borrow_from` must name a connection of the tenant. A name
already in use answers 409.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag

from forcebridge.api.routes.models import PATTERN_REASONS, Input, Name
from forcebridge.services.connections import MAX_CONCURRENCY, ConnectionInput

# what pydantic strips from both ends before the checks (Unicode White_Space)
_TRIMMED = " \t\n\x0b\x0c\r\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_KEPT = rf"[^{_TRIMMED}]"  # one character that is not stripped: the value is not blank
Required = Annotated[str, Field(min_length=1, max_length=500, pattern=_KEPT)]
Secret = Annotated[str, Field(min_length=1, pattern=_KEPT)]
Username = Annotated[str, Field(min_length=1, max_length=320, pattern=_KEPT)]
# https anywhere; plain http only to this machine (an emulator, a proxy)
_LOGIN_URL = (rf"^[{_TRIMMED}]*(https://[A-Za-z0-9.-]+|http://(localhost|127\.0\.0\.1|\[::1\]))"
              rf"(:[0-9]{{1,5}})?([/?#][!-~]*)?[{_TRIMMED}]*$")
_API_VERSION = rf"^[{_TRIMMED}]*([3-9][0-9]\.0)?[{_TRIMMED}]*$"
PATTERN_REASONS.update({
    _KEPT: "must not be empty",
    _LOGIN_URL: "must be an https:// URL such as https://mycompany.my.salesforce.com "
                "(http:// only to localhost)",
    _API_VERSION: "must look like 62.0 (30.0 or newer)",
})
LoginUrl = Annotated[str, Field(
    max_length=500,
    pattern=_LOGIN_URL,
    description="The org's My Domain or login URL, e.g. https://acme.my.salesforce.com.",
)]


class _Common(Input):
    name: Name
    api_version: str | None = Field(
        default=None, pattern=_API_VERSION,
        description="e.g. 62.0 (30.0 or newer); default 62.0.")
    ca_bundle: str | None = Field(
        default=None, max_length=1000,
        description="Path of a PEM file of CA certificates on the server to trust for the "
        "org's TLS certificate instead of the system's; refused (422) unless readable.")
    concurrency: int | None = Field(default=None, ge=1, le=MAX_CONCURRENCY,
                                    description="Parallel API calls, 1..25; default 5.")
    api_budget_percent: int | None = Field(
        default=None, ge=1, le=100,
        description="Share of the org's daily API allocation, in percent, that runs on this "
        "connection may use (default 80).")
    borrow_from: str | None = Field(
        default=None, description="Name or id of a connection of the tenant whose pool this "
        "one shares; refused (422) when there is none.")

    def as_input(self) -> ConnectionInput:
        """What the service takes (the flow and environment are always given)."""
        return ConnectionInput.model_validate(self.model_dump(exclude_unset=True))


class _Standard(Input):
    environment: Literal["production", "sandbox"] = Field(
        description="production logs in at https://login.salesforce.com, sandbox at "
        "https://test.salesforce.com.")


class _Custom(Input):
    environment: Literal["custom"]
    login_url: LoginUrl


class _JwtBearer(_Common):
    auth_flow: Literal["jwt_bearer"]
    consumer_key: Required
    username: Username
    private_key: Secret = Field(description="An unencrypted PEM private key; refused (422) "
                                "unless it parses as one.")
    certificate: str | None = Field(default=None, description="The PEM X.509 certificate of "
                                    "the connected app; refused (422) unless it parses as one.")


class _WebServer(_Common):
    auth_flow: Literal["web_server"]
    consumer_key: Required
    consumer_secret: str | None = None


class _Password(_Common):
    auth_flow: Literal["password"]
    consumer_key: Required
    consumer_secret: Secret
    username: Username
    password: Secret
    security_token: str | None = None


class _ClientCredentials(_Common):
    auth_flow: Literal["client_credentials"]
    consumer_key: Required
    consumer_secret: Secret


class JwtBearerConnection(_JwtBearer, _Standard):
    """JWT bearer flow: the connected app's key, the user, and the private key that signs."""


class JwtBearerCustomConnection(_JwtBearer, _Custom):
    """JWT bearer flow against a My Domain or other login URL."""


class WebServerConnection(_WebServer, _Standard):
    """Web-server flow: authorize answers a URL to open; Salesforce then calls back."""


class WebServerCustomConnection(_WebServer, _Custom):
    """Web-server flow against a My Domain or other login URL."""


class PasswordConnection(_Password, _Standard):
    """Username-password flow (with the user's security token when the org asks for one)."""


class PasswordCustomConnection(_Password, _Custom):
    """Username-password flow against a My Domain or other login URL."""


class ClientCredentialsConnection(_ClientCredentials, _Standard):
    """Client-credentials flow: the connected app's key and secret, run as its user."""


class ClientCredentialsCustomConnection(_ClientCredentials, _Custom):
    """Client-credentials flow against a My Domain or other login URL."""


def auth_flow(body: object) -> str | None:
    """The tag of a body: its flow (the name is what an error about it names)."""
    return body.get("auth_flow") if isinstance(body, dict) else getattr(body, "auth_flow", None)


# The flow picks by a callable: pydantic writes a nested union's field discriminator as an
# OpenAPI mapping to inline schemas, which OpenAPI does not allow (a mapping names $refs).
ConnectionCreate = Annotated[
    Annotated[Annotated[JwtBearerConnection | JwtBearerCustomConnection,
                        Field(discriminator="environment")], Tag("jwt_bearer")]
    | Annotated[Annotated[WebServerConnection | WebServerCustomConnection,
                          Field(discriminator="environment")], Tag("web_server")]
    | Annotated[Annotated[PasswordConnection | PasswordCustomConnection,
                          Field(discriminator="environment")], Tag("password")]
    | Annotated[Annotated[ClientCredentialsConnection | ClientCredentialsCustomConnection,
                          Field(discriminator="environment")], Tag("client_credentials")],
    Discriminator(auth_flow),
]
