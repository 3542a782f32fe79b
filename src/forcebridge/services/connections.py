"""Connections: how to reach one Salesforce org, validated per OAuth flow, secrets sealed.

A connection may borrow concurrency from another connection of its tenant; both then draw
from the final lender's one pool, so the org never sees more parallel calls than the lender's
level allows.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forcebridge.errors import InvalidInput, NotFound
from forcebridge.services import audit, validation
from forcebridge.store.connections import Connection
from forcebridge.store.types import utcnow
from forcebridge.vault import Vault

Environment = Literal["production", "sandbox", "custom"]
AuthFlow = Literal["jwt_bearer", "web_server", "password", "client_credentials"]

LOGIN_URLS = {
    "production": "https://login.salesforce.com",
    "sandbox": "https://test.salesforce.com",
}
SECRET_FIELDS = ("consumer_secret", "password", "security_token", "private_key")
DEFAULT_API_VERSION = "62.0"
MAX_CONCURRENCY = 25
DEFAULT_API_BUDGET_PERCENT = 80

# What each flow cannot work without; the rest of its fields are optional.
REQUIRED_BY_FLOW: dict[str, tuple[str, ...]] = {
    "jwt_bearer": ("consumer_key", "username", "private_key"),
    "password": ("consumer_key", "consumer_secret", "username", "password"),
    "client_credentials": ("consumer_key", "consumer_secret"),
    "web_server": ("consumer_key",),
}


class ConnectionInput(BaseModel):
    """What a user says about a connection, from the API, the CLI or a file.

    On update only the fields actually given change; a secret given as "" is cleared.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200)
    environment: Environment | None = None
    login_url: str | None = Field(default=None, max_length=500)
    auth_flow: AuthFlow | None = None
    api_version: str | None = None
    consumer_key: str | None = Field(default=None, max_length=500)
    consumer_secret: str | None = None
    username: str | None = Field(default=None, max_length=320)
    password: str | None = None
    security_token: str | None = None
    private_key: str | None = None
    certificate: str | None = None
    ca_bundle: str | None = Field(
        default=None,
        max_length=1000,
        description="Path of a PEM file of CA certificates to trust for the org's TLS "
        "certificate instead of the system's (a private CA, a TLS-inspecting proxy, the "
        "emulator's --tls certificate); '' to trust the system's again.",
    )
    concurrency: int | None = Field(default=None, ge=1, le=MAX_CONCURRENCY)
    api_budget_percent: int | None = Field(
        default=None, ge=1, le=100,
        description="Share of the org's daily API allocation, in percent, that runs on this "
        "connection may use (default 80), counted by Salesforce across every integration, "
        "worker and other client of the org: a run that reaches it waits as "
        "`waiting_for_api_budget` until the rolling 24-hour window frees calls.",
    )
    borrow_from: str | None = Field(
        default=None, description="Name or id of the lender; '' to stop borrowing."
    )

    def __repr__(self) -> str:
        shown = {
            k: ("***" if k in SECRET_FIELDS and v else v) for k, v in self.model_dump().items()
        }
        return f"ConnectionInput({shown})"

    __str__ = __repr__


def _normalized(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().lower()


def _check_login_url(url: str) -> str:
    try:
        parsed = urlparse(url)
    except ValueError:  # e.g. a host that NFKC-normalizes to a delimiter
        parsed = urlparse("")
    local = parsed.hostname in {"localhost", "127.0.0.1", "::1"}
    if (
        parsed.scheme not in ("https", "http")
        or not parsed.hostname
        or (parsed.scheme == "http" and not local)
    ):
        raise InvalidInput.field(
            "login_url", "must be an https:// URL such as https://mycompany.my.salesforce.com"
        )
    return url.rstrip("/")


# cryptography's key and certificate parsers load only when a connection is saved: a run,
# which reads connections, starts without them

def _check_private_key(pem: str) -> None:
    from cryptography.hazmat.primitives import serialization

    try:
        serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidInput.field("private_key", "must be an unencrypted PEM private key") from exc


def _check_certificate(pem: str) -> None:
    from cryptography import x509

    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise InvalidInput.field("certificate", "must be a PEM X.509 certificate") from exc


def _check_ca_bundle(path: str) -> str:
    """The bundle must be readable here and hold at least one PEM certificate."""
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput.field("ca_bundle", f"cannot read {path}: {exc.strerror}") from None
    from cryptography import x509

    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise InvalidInput.field(
            "ca_bundle", f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ) from None
    return str(Path(path).resolve())


def get(session: Session, tenant_id: str, ref: str) -> Connection:
    """A connection of the tenant by id or by name."""
    conn = session.get(Connection, ref)
    if conn is None or conn.tenant_id != tenant_id:
        conn = session.scalar(
            select(Connection).where(
                Connection.tenant_id == tenant_id, func.lower(Connection.name) == _normalized(ref)
            )
        )
    if conn is None:
        raise NotFound(f"connection {ref!r} not found")
    return conn


def list_all(session: Session, tenant_id: str) -> list[Connection]:
    return list(
        session.scalars(
            select(Connection).where(Connection.tenant_id == tenant_id).order_by(Connection.name)
        )
    )


def lender_of(session: Session, conn: Connection) -> Connection:
    """The connection whose pool `conn` draws from: itself, or the end of its borrowing chain."""
    seen = {conn.id}
    current = conn
    while current.borrow_from_id is not None:
        nxt = session.get(Connection, current.borrow_from_id)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        current = nxt
    return current


def borrowers_of(session: Session, conn: Connection) -> list[Connection]:
    return list(
        session.scalars(
            select(Connection).where(Connection.borrow_from_id == conn.id).order_by(Connection.name)
        )
    )


def _apply(
    session: Session, vault: Vault, conn: Connection, data: ConnectionInput, given: set[str]
) -> None:
    if "name" in given:
        name = validation.name(data.name or "", "name")
        validation.unique_name(
            session, Connection, name, what="a connection", other_than=conn.id,
            tenant_id=conn.tenant_id, lowered=_normalized(name),
            hint="; choose a distinguishable name",
        )
        conn.name = name
    if "environment" in given or "login_url" in given:
        env = data.environment or conn.environment
        if env == "custom":
            url = data.login_url if "login_url" in given else conn.login_url
            if not url:
                raise InvalidInput.field("login_url", "is required when environment is custom")
            conn.login_url = _check_login_url(url)
        else:
            if "login_url" in given and data.login_url:
                raise InvalidInput.field(
                    "login_url", f"is only for environment custom; {env} uses {LOGIN_URLS[env]}"
                )
            conn.login_url = LOGIN_URLS[env]
        conn.environment = env
    if "auth_flow" in given and data.auth_flow:
        conn.auth_flow = data.auth_flow
    if "api_version" in given:
        version = data.api_version or DEFAULT_API_VERSION
        if not re.fullmatch(r"\d{2}\.0", version) or not 30 <= int(version[:2]) <= 99:
            raise InvalidInput.field("api_version", "must look like 62.0 (30.0 or newer)")
        conn.api_version = version
    for plain in ("consumer_key", "username"):
        if plain in given:
            setattr(conn, plain, getattr(data, plain) or None)
    if "certificate" in given:
        if data.certificate:
            _check_certificate(data.certificate)
        conn.certificate = data.certificate or None
    if "ca_bundle" in given:
        conn.ca_bundle = _check_ca_bundle(data.ca_bundle) if data.ca_bundle else None
    for field_name in SECRET_FIELDS:
        if field_name in given:
            value = getattr(data, field_name)
            if field_name == "private_key" and value:
                _check_private_key(value)
            setattr(conn, field_name, vault.seal(value) if value else None)
    if "concurrency" in given and data.concurrency is not None:
        conn.concurrency = data.concurrency
    if "api_budget_percent" in given and data.api_budget_percent is not None:
        conn.api_budget_percent = data.api_budget_percent
    if "borrow_from" in given:
        if not data.borrow_from:
            conn.borrow_from_id = None
        else:
            try:
                lender = get(session, conn.tenant_id, data.borrow_from)
            except NotFound as exc:
                raise InvalidInput.field(
                    "borrow_from",
                    f"no connection {data.borrow_from!r} in this tenant to borrow from",
                ) from exc
            if lender.id == conn.id:
                raise InvalidInput.field("borrow_from", "a connection cannot borrow from itself")
            chain = [conn.name]
            cursor: Connection | None = lender
            while cursor is not None:
                chain.append(cursor.name)
                if cursor.id == conn.id:
                    raise InvalidInput.field(
                        "borrow_from", "borrowing would form a cycle: " + " -> ".join(chain)
                    )
                cursor = (
                    session.get(Connection, cursor.borrow_from_id)
                    if cursor.borrow_from_id
                    else None
                )
            conn.borrow_from_id = lender.id
    missing = [f for f in REQUIRED_BY_FLOW[conn.auth_flow] if not getattr(conn, f)]
    if missing:
        raise InvalidInput(
            f"the {conn.auth_flow} flow needs: {', '.join(missing)}",
            details=[
                {"field": f, "reason": f"required for auth_flow {conn.auth_flow}"} for f in missing
            ],
        )


def create(
    session: Session, vault: Vault, tenant_id: str, data: ConnectionInput, *, actor: str = "system"
) -> ConnectionView:
    """Save a connection as a draft (`authorization.authorize` then tests it)."""
    given = set(data.model_fields_set)
    for required in ("name", "environment", "auth_flow"):
        if getattr(data, required) is None:
            raise InvalidInput.field(required, "is required")
    conn = Connection(
        tenant_id=tenant_id,
        name="",
        environment="production",
        login_url="",
        auth_flow=data.auth_flow,
        api_version=DEFAULT_API_VERSION,
        concurrency=5,
        api_budget_percent=DEFAULT_API_BUDGET_PERCENT,
        status="draft",
    )
    _apply(session, vault, conn, data, given | {"environment"})
    session.add(conn)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="connection.create",
        target_type="connection",
        target_id=conn.id,
        tenant_id=tenant_id,
        detail={"name": conn.name, "auth_flow": conn.auth_flow},
    )
    return public_view(session, conn)


def update(
    session: Session,
    vault: Vault,
    tenant_id: str,
    ref: str,
    data: ConnectionInput,
    *,
    actor: str = "system",
) -> ConnectionView:
    """Change the fields given; changed credentials send the connection back to draft."""
    conn = get(session, tenant_id, ref)
    given = set(data.model_fields_set)
    _apply(session, vault, conn, data, given)
    if given & {
        "environment",
        "login_url",
        "auth_flow",
        "consumer_key",
        "consumer_secret",
        "username",
        "password",
        "security_token",
        "private_key",
    }:
        # What was authorized is no longer what is configured.
        conn.status, conn.status_reason, conn.refresh_token = "draft", None, None
    conn.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="connection.update",
        target_type="connection",
        target_id=conn.id,
        tenant_id=tenant_id,
        detail={"fields": sorted(given)},
    )
    return public_view(session, conn)


SetOrNot = Literal["set", "not set"]


class ConnectionView(BaseModel):
    """A connection as every face shows it: never a secret, only whether each is set."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: str
    name: str
    environment: str
    login_url: str
    auth_flow: str
    api_version: str
    consumer_key: str | None
    username: str | None
    certificate: SetOrNot
    ca_bundle: str | None
    consumer_secret: SetOrNot
    password: SetOrNot
    security_token: SetOrNot
    private_key: SetOrNot
    refresh_token: SetOrNot
    concurrency: int
    borrow_from: str | None = Field(description="The connection whose pool this one shares.")
    effective_pool: str = Field(description="The connection whose pool calls count against.")
    effective_concurrency: int
    api_budget_percent: int = Field(
        description="Share of the org's daily API allocation runs may use, in percent.")
    status: str = Field(description="draft, authorized, failed or needs_reauthorization.")
    status_reason: str | None
    org_id: str | None
    salesforce_user_id: str | None
    salesforce_username: str | None
    instance_url: str | None
    authorized_at: datetime | None
    created_at: datetime
    updated_at: datetime | None


class ConnectionOutcome(ConnectionView):
    """The connection after Save & authorize or test; for the web-server flow, the URL to
    open in a browser."""

    authorization_url: str | None = None


def public_view(session: Session, conn: Connection) -> ConnectionView:
    """What may be shown of a connection: never a secret, only whether each is set."""
    lender = lender_of(session, conn)
    borrowed = session.get(Connection, conn.borrow_from_id) if conn.borrow_from_id else None
    return ConnectionView.model_validate({
        "id": conn.id,
        "name": conn.name,
        "environment": conn.environment,
        "login_url": conn.login_url,
        "auth_flow": conn.auth_flow,
        "api_version": conn.api_version,
        "consumer_key": conn.consumer_key,
        "username": conn.username,
        "certificate": "set" if conn.certificate else "not set",
        "ca_bundle": conn.ca_bundle,
        **{f: ("set" if getattr(conn, f) else "not set") for f in SECRET_FIELDS},
        "refresh_token": "set" if conn.refresh_token else "not set",
        "concurrency": conn.concurrency,
        "borrow_from": borrowed.name if borrowed else None,
        "effective_pool": lender.name,
        "effective_concurrency": lender.concurrency,
        "api_budget_percent": conn.api_budget_percent,
        "status": conn.status,
        "status_reason": conn.status_reason,
        "org_id": conn.org_id,
        "salesforce_user_id": conn.sf_user_id,
        "salesforce_username": conn.sf_username,
        "instance_url": conn.instance_url,
        "authorized_at": conn.authorized_at,
        "created_at": conn.created_at,
        "updated_at": conn.updated_at,
    })


def show(session: Session, tenant_id: str, ref: str) -> ConnectionView:
    """One connection of the tenant, by id or name, as every face shows it."""
    return public_view(session, get(session, tenant_id, ref))


def listing(session: Session, tenant_id: str) -> list[ConnectionView]:
    """The tenant's connections by name, as every face shows them."""
    return [public_view(session, c) for c in list_all(session, tenant_id)]
