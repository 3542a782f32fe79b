"""A tenant connected to the in-process emulator org, and entity syncs of CSV invoices into it.

The connection is a real password-flow connection (as in tests/connections); runs reach the
emulator through `Runtime.salesforce_transport`, and tests read the org's tables directly to
check what a run left there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from forcebridge.runtime import Runtime
from forcebridge.services import integrations, users
from forcebridge.services.integrations import IntegrationInput
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Event, Run
from forcebridge.store.sync_state import SyncState
from tests.emulated_org import connected_tenant
from tests.granted import grant_files
from tests.salesforce.emulated import Emulated, on_socket


@dataclass
class World:
    """A tenant with connection 'org' (concurrency 4) and user ops@acme.example."""

    rt: Runtime
    emu: Emulated
    tenant_id: str
    user_id: str
    files: Path

    def integration(self, name: str = "invoices", **config: Any) -> str:
        body = invoice_config(self.files / f"{name}.csv", **config)
        with self.rt.db.begin() as s:
            return integrations.create(
                s, self.rt.vault, self.tenant_id,
                IntegrationInput(name=name, kind="entity_sync", connection="org", config=body,
                                 notify=[self.user_id]),
            ).id

    def stored(self, integration_id: str) -> Integration:
        """The integration as the store holds it now."""
        with self.rt.db.session() as s:
            found = s.get(Integration, integration_id)
            assert found is not None
            return found

    def run(self, run_id: str) -> Run:
        with self.rt.db.session() as s:
            run = s.get(Run, run_id)
            assert run is not None
            return run

    def events(self, run_id: str | None = None, kind: str | None = None) -> list[Event]:
        with self.rt.db.session() as s:
            query = select(Event).where(Event.tenant_id == self.tenant_id)
            if run_id:
                query = query.where(Event.run_id == run_id)
            if kind:
                query = query.where(Event.kind == kind)
            return list(s.scalars(query.order_by(Event.created_at)))

    def state(self, integration_id: str) -> dict[str, tuple[str, str | None]]:
        with self.rt.db.session() as s:
            rows = s.execute(select(SyncState.key, SyncState.hash, SyncState.salesforce_id)
                             .where(SyncState.integration_id == integration_id))
            return {k: (h, i) for k, h, i in rows}

    def invoices(self) -> list[dict[str, Any]]:
        return list(self.emu.org.iter_records("Invoice__c"))


@pytest.fixture
def world(runtime: Runtime, emu: Emulated, tmp_path: Path) -> World:
    runtime.salesforce_transport = emu.transport
    files = tmp_path / "files"
    files.mkdir()
    with runtime.db.begin() as s:
        tenant_id = connected_tenant(s, runtime, emu, connection="org", concurrency=4)
        user = users.create(s, tenant_id, "Ops", "ops@acme.example")
        user_id = user.id
    grant_files(runtime, tenant_id, files)
    return World(runtime, emu, tenant_id, user_id, files)


@pytest.fixture
def live(runtime: Runtime, tmp_path: Path) -> Iterator[World]:
    """As `world`, with the org on a socket and the runtime reaching it like production."""
    files = tmp_path / "files"
    files.mkdir()
    with on_socket() as emu:
        with runtime.db.begin() as s:
            tenant_id = connected_tenant(s, runtime, emu, connection="org", concurrency=4)
            user = users.create(s, tenant_id, "Ops", "ops@acme.example")
            users.create(s, tenant_id, "Not notified", "other@acme.example")
            user_id = user.id
        grant_files(runtime, tenant_id, files)
        yield World(runtime, emu, tenant_id, user_id, files)


def write_csv(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    header = ["number", "account", "amount", "status"]
    lines = [",".join(header)] + [",".join(str(r.get(h, "")) for h in header) for r in rows]
    path.write_text("\n".join(lines) + "\n")


def invoice_rows(n: int, start: int = 0, account: str = "") -> list[dict[str, Any]]:
    return [{"number": f"INV-{i:06d}", "account": account, "amount": f"{i % 1000}.50",
             "status": "sent" if i % 2 else "paid"} for i in range(start, start + n)]


def invoice_config(path: Path, *, reference: bool = False, **changes: Any) -> dict[str, Any]:
    """Invoices from a CSV (in the file root 'files') into the demo org's Invoice__c, matched
    on Invoice_Number__c."""
    mappings: list[dict[str, Any]] = [
        {"field": "Invoice_Number__c", "column": "number"},
        {"field": "Amount__c", "column": "amount", "transform": {"type": "number", "scale": 2}},
        {"field": "Status__c", "column": "status",
         "transform": {"type": "value_map", "values": {"sent": "Sent", "paid": "Paid"},
                       "passthrough": True}},
    ]
    if reference:
        mappings.append({"field": "Account__c", "column": "account",
                         "transform": {"type": "reference", "external_id_field": "External_Id__c"}})
    config: dict[str, Any] = {
        "source": {"kind": "csv", "name": "files", "path": path.name, "key_column": "number",
                   "account_column": "account"},
        "mapping": {"target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
                    "mappings": mappings},
    }
    config.update(changes)
    return config
