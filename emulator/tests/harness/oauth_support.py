"""A small org, keys and a clock for the OAuth tests (emulator/tests/test_oauth_*.py)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette

from forcebridge_emulator._config import ConnectedAppConfig, OrgConfig, UserConfig
from forcebridge_emulator._oauth import OAuthServer

BASE = "http://testserver"
ORG_ID = "00D5g00000ABCDEFGH"
CONSUMER_KEY = "3MVG9emulator.consumer.key"
CONSUMER_SECRET = "emulator-consumer-secret"
CALLBACK = "https://app.example.com/oauth/callback"
NO_REFRESH_KEY = "3MVG9no.refresh.scope"
PUBLIC_CALLBACK = "http://localhost:8765/callback"
ALICE = "alice@acme.example"
ALICE_PASSWORD = "correct horse"
ALICE_TOKEN = "SecTok123"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# What every token answer carries (a refresh adds `scope`, the web-server flow `refresh_token`)
TOKEN_KEYS = frozenset({"access_token", "instance_url", "id", "token_type", "issued_at", "signature"})


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    certificate_pem: str


@cache
def keypair(name: str = "app") -> KeyPair:
    """An RSA key and a self-signed X.509 certificate for it (cached per name: keygen is slow)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"emulator-test-{name}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return KeyPair(private.decode(), cert.public_bytes(serialization.Encoding.PEM).decode())


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def org_config() -> OrgConfig:
    return OrgConfig(
        org_id=ORG_ID,
        name="Acme Test Org",
        users=[
            UserConfig(
                username=ALICE,
                password=ALICE_PASSWORD,
                security_token=ALICE_TOKEN,
                email="alice@acme.example",
                first_name="Alice",
                last_name="Archer",
                user_id="0055g00000AAAAAAAA",
            ),
            UserConfig(
                username="integration@acme.example",
                password="integration-pw",
                security_token="IntTok",
                last_name="Integration",
                user_id="0055g00000BBBBBBBB",
            ),
            UserConfig(
                username="gone@acme.example",
                password="gone-pw",
                security_token="GoneTok",
                user_id="0055g00000CCCCCCCC",
                active=False,
            ),
        ],
        connected_apps=[
            ConnectedAppConfig(
                name="forcebridge",
                consumer_key=CONSUMER_KEY,
                consumer_secret=CONSUMER_SECRET,
                callback_urls=[CALLBACK, PUBLIC_CALLBACK],
                certificate_pem=keypair().certificate_pem,
                client_credentials_user="integration@acme.example",
            ),
            ConnectedAppConfig(
                name="no refresh",
                consumer_key=NO_REFRESH_KEY,
                consumer_secret="other-secret",
                callback_urls=[CALLBACK],
                scopes=["api", "id"],
            ),
        ],
    )


def make_server(clock: Clock | None = None) -> OAuthServer:
    return OAuthServer(org_config(), clock=clock or time.time)


@asynccontextmanager
async def client_for(server: OAuthServer) -> AsyncIterator[httpx.AsyncClient]:
    """The server's routes in-process, as a client sees them."""
    app = Starlette(routes=server.routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def assertion(
    *,
    now: float,
    iss: str = CONSUMER_KEY,
    sub: str = ALICE,
    aud: str = "https://login.salesforce.com",
    exp_in: float = 120,
    key: KeyPair | None = None,
    **extra: Any,
) -> str:
    claims: dict[str, Any] = {"iss": iss, "sub": sub, "aud": aud, "exp": int(now + exp_in)}
    claims.update(extra)
    return jwt.encode(claims, (key or keypair()).private_pem, algorithm="RS256")


def password_form(**overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "password",
        "client_id": CONSUMER_KEY,
        "client_secret": CONSUMER_SECRET,
        "username": ALICE,
        "password": ALICE_PASSWORD + ALICE_TOKEN,
    }
    form.update(overrides)
    return form


def sign_in_form(response_type: str = "code", **overrides: str) -> dict[str, str]:
    """The authorize page's form as Alice submits it, for `response_type` (code or token)."""
    return {
        "response_type": response_type,
        "client_id": CONSUMER_KEY,
        "redirect_uri": CALLBACK,
        "state": "xyz",
        "username": ALICE,
        "password": ALICE_PASSWORD,
        **overrides,
    }


async def log_in_and_get_code(
    client: httpx.AsyncClient, *, redirect_uri: str = CALLBACK, **params: str
) -> str:
    """Drive the authorize page like a browser: GET the form, POST it, read the code."""
    query = {
        "response_type": "code",
        "client_id": CONSUMER_KEY,
        "redirect_uri": redirect_uri,
        "state": "xyz",
        **params,
    }
    page = await client.get("/services/oauth2/authorize", params=query)
    assert page.status_code == 200, page.text
    response = await client.post(
        "/services/oauth2/authorize",
        data={**query, "username": ALICE, "password": ALICE_PASSWORD},
    )
    assert response.status_code == 302, response.text
    location = httpx.URL(response.headers["location"])
    return str(location.params["code"])


async def web_server_refresh_token(client: httpx.AsyncClient) -> str:
    """Log in through the authorize page and trade the code, returning the refresh token."""
    code = await log_in_and_get_code(client)
    response = await client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CONSUMER_KEY,
            "client_secret": CONSUMER_SECRET,
            "redirect_uri": CALLBACK,
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["refresh_token"])
