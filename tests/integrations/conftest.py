"""A tenant connected to the emulated demo org, the API over it, and integration configs.

The connection is a real password-flow connection against the in-process emulator (as in
tests/connections), so save-time checks describe the org for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, users
from tests.conftest import bearer
from tests.emulated_org import connected_tenant
from tests.granted import grant_files
from tests.salesforce.emulated import Emulated


@dataclass
class Org:
    """A tenant with connection 'demo org' and user ops@acme.example, as the API sees it."""

    rt: Runtime
    emu: Emulated
    tenant_id: str
    headers: dict[str, str]
    files: Path


@pytest.fixture
def org(runtime: Runtime, emu: Emulated, tmp_path: Path) -> Org:
    runtime.salesforce_transport = emu.transport
    files = tmp_path / "files"
    files.mkdir()
    (files / "invoices.csv").write_text(
        "number,account,amount,status,issued\nINV-1,A-1,12.50,sent,2024-01-31\n"
    )
    with runtime.db.begin() as s:
        tenant_id = connected_tenant(s, runtime, emu)
        users.create(s, tenant_id, "Ops", "ops@acme.example")
        key = api_keys.create(s, tenant_id, "integrations").secret
    grant_files(runtime, tenant_id, files)
    return Org(runtime, emu, tenant_id, bearer(key), files)


@pytest.fixture
def api_org(org: Org) -> Iterator[TestClient]:
    with TestClient(create_app(org.rt), raise_server_exceptions=False) as client:
        yield client


def invoice_config(files: Path, **changes: Any) -> dict[str, Any]:
    """An entity sync of invoices.csv (in the file root 'files', at `files`) into the demo
    org's Invoice__c that works as it is."""
    config: dict[str, Any] = {
        "source": {"kind": "csv", "name": "files", "path": "invoices.csv",
                   "key_column": "number", "account_column": "account"},
        "mapping": {
            "target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
            "mappings": [
                {"field": "Invoice_Number__c", "column": "number"},
                {"field": "Amount__c", "column": "amount",
                 "transform": {"type": "number", "scale": 2}},
                {"field": "Status__c", "column": "status",
                 "transform": {"type": "value_map", "values": {"sent": "Sent", "paid": "Paid"}}},
                {"field": "Issued_On__c", "column": "issued", "transform": {"type": "date"}},
                {"field": "Account__c", "column": "account",
                 "transform": {"type": "reference", "external_id_field": "External_Id__c"}},
            ],
        },
    }
    config.update(changes)
    return config


def invoice_sync(files: Path, name: str = "invoices", **changes: Any) -> dict[str, Any]:
    """The API body creating `invoice_config` on connection 'demo org'."""
    return {"name": name, "kind": "entity_sync", "connection": "demo org",
            "config": invoice_config(files), **changes}
