"""A tenant connected to the emulated demo org: where most feature tests start.

The connection is a real one, saved through the connection service against the emulator
(in-process or on a socket), so the code under test authorizes and calls it as in production.
The `emu` fixture (tests/conftest.py) gives the in-process org.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from forcebridge.runtime import Runtime
from forcebridge.services import connections, tenants
from forcebridge.services.connections import ConnectionInput
from tests.salesforce.emulated import Emulated


def conn_body(emu: Emulated, name: str, flow: str = "password", **extra: Any) -> dict[str, Any]:
    """The body saving connection `name` to the emulated org with `flow` (its first user and
    connected app); `extra` overrides or adds fields."""
    user, app = emu.org.config.users[0], emu.org.config.connected_apps[0]
    body: dict[str, Any] = {
        "name": name,
        "environment": "custom",
        "login_url": emu.base_url,
        "auth_flow": flow,
        "consumer_key": app.consumer_key,
    }
    if flow in ("password", "client_credentials", "web_server"):
        body["consumer_secret"] = app.consumer_secret
    if flow in ("password", "jwt_bearer"):
        body["username"] = user.username
    if flow == "password":
        body |= {"password": user.password, "security_token": user.security_token}
    return body | extra


def connect(
    session: Session, rt: Runtime, tenant_id: str, emu: Emulated, name: str = "demo org",
    flow: str = "password", **extra: Any,
) -> str:
    """Save the tenant's connection `name` to the emulated org (`conn_body`); its id."""
    data = ConnectionInput(**conn_body(emu, name, flow, **extra))
    return connections.create(session, rt.vault, tenant_id, data).id


def connected_tenant(
    session: Session, rt: Runtime, emu: Emulated, name: str = "acme", *,
    connection: str = "demo org", **extra: Any,
) -> str:
    """Tenant `name` with connection `connection` to the emulated org; the tenant's id."""
    tenant_id = tenants.create(session, name).id
    connect(session, rt, tenant_id, emu, connection, **extra)
    return tenant_id
