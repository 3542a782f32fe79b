"""A tenant connected to the emulated demo org, and scheduled integrations syncing a CSV of
accounts into it, made through the service layer (no save-time org checks needed here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from forcebridge.runtime import Runtime
from forcebridge.services import integrations as integrations_service
from forcebridge.services.integrations import IntegrationInput
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run
from tests.emulated_org import connected_tenant
from tests.granted import grant_files
from tests.salesforce.emulated import Emulated

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A time on the test's day (UTC)."""
    return NOON.replace(hour=hour, minute=minute, second=second)


def accounts_config(path: Path) -> dict[str, Any]:
    """Accounts from the CSV at `path`, in the file root 'files' (its directory)."""
    return {
        "source": {"kind": "csv", "name": "files", "path": path.name, "key_column": "id"},
        "mapping": {
            "target": {"object": "Account", "external_id_field": "External_Id__c"},
            "mappings": [
                {"field": "External_Id__c", "column": "id"},
                {"field": "Name", "column": "name"},
            ],
        },
    }


@dataclass
class Tenant:
    rt: Runtime
    emu: Emulated
    tenant_id: str
    csv: Path

    def integration(
        self, name: str, *, schedule: str | None = "5 * * * *", connected: bool = True,
        enabled: bool = True, connection: str = "demo org",
    ) -> str:
        """Creates an entity sync of accounts.csv; `schedule=None` keeps the default one."""
        body: dict[str, Any] = {
            "name": name, "kind": "entity_sync", "config": accounts_config(self.csv),
            "connection": connection, "enabled": enabled,
        }
        if schedule is not None:
            body["schedule"] = schedule
        if not connected:
            del body["connection"]
        with self.rt.db.begin() as s:
            made = integrations_service.create(
                s, self.rt.vault, self.tenant_id, IntegrationInput(**body)
            )
            return made.id

    def row(self, integration_id: str) -> Integration:
        with self.rt.db.begin() as s:
            found = s.get(Integration, integration_id)
            assert found is not None
            return found

    def set(self, integration_id: str, **values: Any) -> None:
        with self.rt.db.begin() as s:
            found = s.get(Integration, integration_id)
            assert found is not None
            for key, value in values.items():
                setattr(found, key, value)

    def runs(self, integration_id: str | None = None) -> list[Run]:
        query = select(Run).order_by(Run.started_at)
        if integration_id:
            query = query.where(Run.integration_id == integration_id)
        with self.rt.db.begin() as s:
            return list(s.scalars(query))

    def past_run(self, integration_id: str) -> None:
        """Records a finished manual run, so the integration is no longer brand-new."""
        with self.rt.db.begin() as s:
            s.add(Run(tenant_id=self.tenant_id, integration_id=integration_id, trigger="manual",
                      status="succeeded", started_at=at(9), ended_at=at(9, 1)))


@pytest.fixture
def acme(runtime: Runtime, emu: Emulated, tmp_path: Path) -> Tenant:
    runtime.salesforce_transport = emu.transport
    csv = tmp_path / "accounts.csv"
    csv.write_text("id,name\nA-1,Acme\nA-2,Globex\n")
    with runtime.db.begin() as s:
        tenant_id = connected_tenant(s, runtime, emu)
    grant_files(runtime, tenant_id, csv.parent)
    return Tenant(runtime, emu, tenant_id, csv)


