"""Save & authorize: proving a connection's credentials against its org, and keeping its status.

Statuses: `draft` (never tried since the last credential change), `authorized` (identity
recorded), `failed` (Salesforce's reason kept), `needs_reauthorization` (a refresh token
Salesforce revoked: the tenant's notification users are emailed, nothing is dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from sqlalchemy import select

from forcebridge import log, notifications, telemetry
from forcebridge.errors import InvalidInput, NotFound
from forcebridge.runtime import Runtime
from forcebridge.salesforce import (
    AuthorizationRevoked,
    CallListener,
    Credentials,
    Identity,
    SalesforceClient,
    SalesforceError,
    authorization_url,
    exchange_code,
    new_state,
    pkce_pair,
)
from forcebridge.services import audit, connections, tenants, users
from forcebridge.services.connections import ConnectionOutcome, ConnectionView
from forcebridge.store.connections import Connection
from forcebridge.store.models import Tenant
from forcebridge.store.types import utcnow
from forcebridge.suggested import command

_logger = log.get("connections")
T = TypeVar("T")
CALLBACK_PATH = "/api/v1/oauth/callback"


def _outcome(view: ConnectionView, authorization_url: str | None = None) -> ConnectionOutcome:
    """What an authorize or test call led to; `authorization_url` only for the web-server flow."""
    return ConnectionOutcome(**dict(view), authorization_url=authorization_url)


async def _db(rt: Runtime, fn: Callable[..., T], *args: Any) -> T:
    """Run one transaction in a worker thread, keeping the event loop free."""

    def work() -> T:
        with rt.db.begin() as session:
            return fn(session, *args)

    return await anyio.to_thread.run_sync(work)


def credentials_for(conn: Connection, rt: Runtime) -> Credentials:
    open_ = rt.vault.open
    flow = conn.auth_flow
    return Credentials(
        flow=flow,  # type: ignore[arg-type]
        login_url=conn.login_url,
        api_version=conn.api_version,
        consumer_key=conn.consumer_key or "",
        consumer_secret=open_(conn.consumer_secret) if conn.consumer_secret else "",
        username=conn.username or "",
        password=open_(conn.password) if conn.password else "",
        security_token=open_(conn.security_token) if conn.security_token else "",
        private_key=open_(conn.private_key) if conn.private_key else "",
        refresh_token=open_(conn.refresh_token) if conn.refresh_token else "",
        ca_bundle=conn.ca_bundle or "",
    )


def call_listener(session: Any, conn: Connection) -> CallListener:
    """What hears each call a client of `conn` makes: metrics and traces (telemetry)."""
    tenant = session.get(Tenant, conn.tenant_id)
    return telemetry.call_listener(tenant.name if tenant else "", conn.name)


def client_for(rt: Runtime, session: Any, conn: Connection) -> SalesforceClient:
    """A client for `conn`, drawing from its lender's pool (see connections.lender_of)."""
    lender = connections.lender_of(session, conn)
    pool = rt.pools.for_lender(lender.id, lender.concurrency)
    return SalesforceClient(credentials_for(conn, rt), pool=pool, transport=rt.salesforce_transport,
                            on_call=call_listener(session, conn))


def callback_url(rt: Runtime) -> str:
    return rt.settings.resolved_public_url + CALLBACK_PATH


async def authorize(
    rt: Runtime, tenant_id: str, ref: str, *, actor: str = "system"
) -> ConnectionOutcome:
    """Test the saved credentials now; for the web-server flow, start the browser round trip."""

    def load(session: Any) -> tuple[str, SalesforceClient | None, str | None]:
        conn = connections.get(session, tenant_id, ref)
        if conn.auth_flow != "web_server":
            return conn.id, client_for(rt, session, conn), None
        state, pkce = new_state(), pkce_pair()
        conn.pending_state = state
        conn.pending_verifier = rt.vault.seal(pkce.verifier)
        url = authorization_url(credentials_for(conn, rt), callback_url(rt), state, pkce.challenge)
        audit.record(
            session,
            actor=actor,
            action="connection.authorize_started",
            target_type="connection",
            target_id=conn.id,
            tenant_id=tenant_id,
        )
        return conn.id, None, url

    conn_id, client, url = await _db(rt, load)
    if client is None:
        view = await _db(rt, lambda s: connections.show(s, tenant_id, conn_id))
        return _outcome(view, authorization_url=url)
    return _outcome(await _prove(rt, tenant_id, conn_id, client, actor=actor))


async def test(
    rt: Runtime, tenant_id: str, ref: str, *, actor: str = "system"
) -> ConnectionOutcome:
    """Authenticate with what is stored now (for web-server: the refresh token) and record it."""

    def load(session: Any) -> tuple[str, SalesforceClient]:
        conn = connections.get(session, tenant_id, ref)
        if conn.auth_flow == "web_server" and not conn.refresh_token:
            raise InvalidInput.field(
                "status", "the web-server flow is not authorized yet: run authorize first"
            )
        return conn.id, client_for(rt, session, conn)

    conn_id, client = await _db(rt, load)
    return _outcome(await _prove(rt, tenant_id, conn_id, client, actor=actor))


async def complete_callback(
    rt: Runtime,
    state: str,
    code: str | None,
    error: str | None = None,
    error_description: str | None = None,
) -> ConnectionOutcome:
    """The browser came back from Salesforce: check `state`, exchange the code, prove it."""
    if not state:
        raise InvalidInput.field("state", "is required")

    def load(session: Any) -> tuple[str, str, Credentials, str]:
        conn = session.scalar(select(Connection).where(Connection.pending_state == state))
        if conn is None:
            raise NotFound(
                "no authorization is waiting for this state; start it again with authorize"
            )
        verifier = rt.vault.open(conn.pending_verifier) if conn.pending_verifier else ""
        conn.pending_state, conn.pending_verifier = None, None
        return conn.id, conn.tenant_id, credentials_for(conn, rt), verifier

    conn_id, tenant_id, creds, verifier = await _db(rt, load)
    if error or not code:
        reason = f"{error or 'missing code'}: {error_description or 'Salesforce returned no authorization code'}"
        return _outcome(await _db(rt, _set_failed, tenant_id, conn_id, reason))
    try:
        token = await exchange_code(
            creds, code, callback_url(rt), verifier, transport=rt.salesforce_transport
        )
    except SalesforceError as exc:
        return _outcome(await _db(rt, _set_failed, tenant_id, conn_id, _reason(exc)))

    def store(session: Any) -> SalesforceClient:
        conn = connections.get(session, tenant_id, conn_id)
        if token.refresh_token:
            conn.refresh_token = rt.vault.seal(token.refresh_token)
        return client_for(rt, session, conn)

    client = await _db(rt, store)
    return _outcome(await _prove(rt, tenant_id, conn_id, client, actor="oauth_callback"))


def _reason(exc: SalesforceError) -> str:
    return f"{exc.code}: {exc.message}" if exc.message else str(exc.code)


async def _prove(
    rt: Runtime, tenant_id: str, conn_id: str, client: SalesforceClient, *, actor: str
) -> ConnectionView:
    try:
        async with client:
            identity = await client.authorize()
    except AuthorizationRevoked as exc:
        return await anyio.to_thread.run_sync(
            mark_needs_reauthorization, rt, tenant_id, conn_id, _reason(exc)
        )
    except (SalesforceError, ValueError) as exc:  # ValueError: credentials missing a field
        reason = _reason(exc) if isinstance(exc, SalesforceError) else str(exc)
        return await _db(rt, _set_failed, tenant_id, conn_id, reason)
    return await _db(rt, _set_authorized, tenant_id, conn_id, identity, actor)


def _set_authorized(
    session: Any, tenant_id: str, conn_id: str, identity: Identity, actor: str
) -> ConnectionView:
    conn = connections.get(session, tenant_id, conn_id)
    conn.status, conn.status_reason = "authorized", None
    conn.org_id, conn.sf_user_id = identity.org_id, identity.user_id
    conn.sf_username, conn.instance_url = identity.username, identity.instance_url
    conn.authorized_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="connection.authorized",
        target_type="connection",
        target_id=conn.id,
        tenant_id=tenant_id,
        detail={"org_id": identity.org_id},
    )
    log.event(_logger, "connection authorized", connection_id=conn.id, org_id=identity.org_id)
    return connections.public_view(session, conn)


def _set_failed(session: Any, tenant_id: str, conn_id: str, reason: str) -> ConnectionView:
    conn = connections.get(session, tenant_id, conn_id)
    conn.status, conn.status_reason = "failed", reason
    audit.record(
        session,
        actor="system",
        action="connection.failed",
        target_type="connection",
        target_id=conn.id,
        tenant_id=tenant_id,
        detail={"reason": reason},
    )
    log.event(_logger, "connection authorization failed", connection_id=conn.id, reason=reason)
    return connections.public_view(session, conn)


def mark_needs_reauthorization(
    rt: Runtime, tenant_id: str, conn_id: str, reason: str
) -> ConnectionView:
    """Salesforce revoked the refresh token: flag the connection and tell the people who care.

    Called by authorize/test and by anything else (runs, deliveries) that meets a revoked token.
    """
    with rt.db.begin() as session:
        conn = connections.get(session, tenant_id, conn_id)
        already = conn.status == "needs_reauthorization"
        conn.status, conn.status_reason = "needs_reauthorization", reason
        recipients = [u.email for u in users.notification_recipients(session, tenant_id)]
        name = conn.name
        again = command("connections", "authorize", name, "--tenant", tenants.get(session, tenant_id).name)
        audit.record(
            session,
            actor="system",
            action="connection.needs_reauthorization",
            target_type="connection",
            target_id=conn.id,
            tenant_id=tenant_id,
            detail={"reason": reason},
        )
        view = connections.public_view(session, conn)
    if not already:
        notifications.send(
            rt.settings,
            recipients,
            f"[forcebridge] Connection {name!r} needs to be authorized again",
            f"Salesforce no longer accepts the stored authorization of connection {name!r}\n"
            f"({reason}).\n\nNothing has been dropped: work waits until someone runs\n"
            f"  {again}\n"
            f"or clicks Authorize in the console.\n",
        )
    return view
