"""Fixtures for record operations: the demo org in-process, a tenant with a password-flow
connection to it, and the API with the records router (included here until the lead wires it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys
from tests.conftest import bearer
from tests.emulated_org import connected_tenant
from tests.salesforce.emulated import Emulated


@dataclass
class Org:
    """A tenant connected to the emulated org, as the service and the API see it."""

    rt: Runtime
    emu: Emulated
    tenant_id: str
    conn: str
    headers: dict[str, str]


@pytest.fixture
def org(runtime: Runtime, emu: Emulated) -> Org:
    runtime.salesforce_transport = emu.transport
    with runtime.db.begin() as s:
        tenant_id = connected_tenant(s, runtime, emu)
        key = api_keys.create(s, tenant_id, "records").secret
        return Org(runtime, emu, tenant_id, "demo org", bearer(key))


@pytest.fixture
def api_org(org: Org) -> Iterator[TestClient]:
    with TestClient(create_app(org.rt), raise_server_exceptions=False) as client:
        yield client
