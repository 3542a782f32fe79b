"""A tenant connected to the emulated demo org, the API over it, and integrations to run.

The connection is a real password-flow connection against the in-process emulator (as in
tests/connections); integrations are made through the integration service (no org checks:
`plan` and runs check them for real). Runs and events for the faces' own tests are rows the
store holds, written as the engine writes them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.services import api_clients, api_keys, integrations, tenants
from forcebridge.services.integrations import IntegrationInput
from forcebridge.store.runs import Run
from forcebridge.store.types import utcnow
from tests.conftest import bearer
from tests.emulated_org import connected_tenant
from tests.granted import grant_files, grant_sql
from tests.salesforce.emulated import Emulated


@dataclass
class Org:
    """Tenant 'acme' with connection 'demo org', as the service and the API see it."""

    rt: Runtime
    emu: Emulated
    tenant_id: str
    headers: dict[str, str]


@pytest.fixture
def org(runtime: Runtime, emu: Emulated, tmp_path: Path) -> Org:
    """A connected tenant, granted the file root 'files' (tmp_path/files)."""
    runtime.salesforce_transport = emu.transport
    with runtime.db.begin() as s:
        tenant_id = connected_tenant(s, runtime, emu)
        key = api_keys.create(s, tenant_id, "runs").secret
    (tmp_path / "files").mkdir(exist_ok=True)
    grant_files(runtime, tenant_id, tmp_path / "files")
    return Org(runtime, emu, tenant_id, bearer(key))


@pytest.fixture
def api_org(org: Org) -> Iterator[TestClient]:
    with TestClient(create_app(org.rt), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def other_tenant(org: Org) -> tuple[str, dict[str, str]]:
    """A second tenant ('globex') and its API key's headers."""
    with org.rt.db.begin() as s:
        t = tenants.create(s, "globex")
        return t.id, bearer(api_keys.create(s, t.id, "globex").secret)


@pytest.fixture
def token_with(api_org: TestClient, org: Org) -> Callable[[list[str]], dict[str, str]]:
    """Headers carrying an API client access token of tenant acme with the given scopes."""

    def make(scopes: list[str]) -> dict[str, str]:
        with org.rt.db.begin() as s:
            issued = api_clients.create(s, org.tenant_id, f"sf {'-'.join(scopes)}", scopes)
            client_id, secret = issued.client.client_id, issued.secret
        resp = api_org.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        })
        assert resp.status_code == 200, resp.text
        return bearer(resp.json()["access_token"])

    return make


def invoice_mapping() -> dict[str, Any]:
    """Invoices into the demo org's Invoice__c, matched on Invoice_Number__c."""
    return {
        "target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
        "mappings": [
            {"field": "Invoice_Number__c", "column": "number"},
            {"field": "Amount__c", "column": "amount",
             "transform": {"type": "number", "scale": 2}},
        ],
    }


def push_config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "source": {"kind": "push", "key_column": "number", "account_column": "account"},
        "mapping": invoice_mapping(),
    }
    config.update(changes)
    return config


def cursor_source(org: Org, db: Path, rows: int) -> dict[str, Any]:
    """A SQLite `invoices` table of `rows` rows with an `updated_at` cursor column, granted
    to the org's tenant as data source 'billing', as the source of an integration's config."""
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (number TEXT, amount TEXT, updated_at TEXT)")
        conn.executemany("INSERT INTO invoices VALUES (?, '1.00', ?)",
                         [(f"INV-{i}", f"2024-01-0{i}") for i in range(1, rows + 1)])
    name = grant_sql(org.rt, org.tenant_id, f"sqlite:///{db}", name="billing")
    return {"kind": "sql", "name": name, "table": "invoices",
            "key_column": "number", "cursor_column": "updated_at"}


def make_integration(
    org: Org, name: str = "invoices", config: dict[str, Any] | None = None, *,
    connection: str | None = "demo org", kind: str = "entity_sync", tenant_id: str | None = None,
) -> str:
    """Create an integration through the service; returns its id."""
    data: dict[str, Any] = {"name": name, "kind": kind, "config": config or push_config()}
    if connection:
        data["connection"] = connection
    with org.rt.db.begin() as s:
        made = integrations.create(
            s, org.rt.vault, tenant_id or org.tenant_id, IntegrationInput(**data)
        )
        return made.id


def add_run(
    org: Org, integration_id: str, *, started: datetime | None = None, status: str = "succeeded",
    trigger: str = "manual", tenant_id: str | None = None, **counts: int,
) -> str:
    """A finished run as the engine records one."""
    start = started or utcnow()
    with org.rt.db.begin() as s:
        run = Run(
            tenant_id=tenant_id or org.tenant_id, integration_id=integration_id, trigger=trigger,
            status=status, started_at=start, heartbeat_at=start,
            ended_at=start + timedelta(seconds=2), **counts,
        )
        s.add(run)
        s.flush()
        return run.id
