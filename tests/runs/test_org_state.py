"""Sync state belongs to the org that confirmed it: two emulated orgs with different org ids,
each on its own socket, and one integration moved between them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

from forcebridge.runs import org, plan_integration, run_integration
from forcebridge.runtime import Runtime
from forcebridge.services import connections, integrations
from forcebridge.services.connections import ConnectionInput
from forcebridge.services.integrations import IntegrationInput
from forcebridge.store import migrate
from forcebridge.store.connections import Connection
from forcebridge.store.runs import Run
from forcebridge.store.sync_state import SyncState
from forcebridge.store.write_intents import WriteIntent
from forcebridge_emulator._org import Org
from forcebridge_emulator._orgfile import demo_config, parse
from tests.emulated_org import connect, connected_tenant
from tests.granted import grant_files_in
from tests.runs.conftest import invoice_config, invoice_rows, write_csv
from tests.runs.test_intents import keys
from tests.salesforce.emulated import Emulated, on_socket

pytestmark = pytest.mark.anyio
ORG_A, ORG_B, ORG_C = "00D7x0000001AaA", "00D9z0000002BbB", "00D3k0000003CcC"


def org_with(org_id: str) -> Org:
    config = demo_config()
    config.org_id = parse({"org_id": org_id}).org_id
    return Org(config)


@dataclass
class Moved:
    rt: Runtime
    a: Emulated
    b: Emulated
    tenant_id: str
    iid: str

    async def run(self) -> Run:
        run_id = await run_integration(self.rt, self.tenant_id, self.iid)
        with self.rt.db.session() as s:
            found = s.get(Run, run_id)
            assert found is not None
            return found

    def attach(self, connection: str) -> None:
        with self.rt.db.begin() as s:
            integrations.update(s, self.rt.vault, self.tenant_id, self.iid,
                                IntegrationInput(connection=connection))

    def state_orgs(self) -> dict[str, int]:
        with self.rt.db.session() as s:
            rows = s.execute(select(SyncState.org_id).where(SyncState.integration_id == self.iid))
            counts: dict[str, int] = {}
            for (org_id,) in rows:
                counts[org_id] = counts.get(org_id, 0) + 1
            return counts


def numbers(emu: Emulated) -> list[str]:
    return sorted(r["Invoice_Number__c"] for r in emu.org.iter_records("Invoice__c"))


@pytest.fixture
def moved(runtime: Runtime, tmp_path: Path) -> Iterator[Moved]:
    with on_socket(org_with(ORG_A)) as a, on_socket(org_with(ORG_B)) as b:
        write_csv(tmp_path / "invoices.csv", invoice_rows(30))
        with runtime.db.begin() as s:
            tenant_id = connected_tenant(s, runtime, a, connection="a")
            connect(s, runtime, tenant_id, b, "b")
            grant_files_in(s, runtime, tenant_id, tmp_path)
            iid = integrations.create(
                s, runtime.vault, tenant_id,
                IntegrationInput(name="invoices", kind="entity_sync", connection="a",
                                 config=invoice_config(tmp_path / "invoices.csv")),
            ).id
        yield Moved(runtime, a, b, tenant_id, iid)


async def test_another_org_starts_from_empty_and_a_synced_org_keeps_its_state(
    moved: Moved,
) -> None:
    first = await moved.run()
    assert (first.status, first.created) == ("succeeded", 30)
    a18, b18 = moved.a.org.config.org_id, moved.b.org.config.org_id
    assert a18 != b18

    moved.attach("b")
    plan = await plan_integration(moved.rt, moved.tenant_id, moved.iid)
    assert (plan.org_id, plan.state_records, plan.would_send) == (b18, 0, 30)
    second = await moved.run()
    assert (second.status, second.created, second.unchanged) == ("succeeded", 30, 0)
    assert numbers(moved.b) == numbers(moved.a) == [f"INV-{i:06d}" for i in range(30)]
    assert moved.state_orgs() == {a18: 30, b18: 30}

    moved.attach("a")  # back to the org synced first: its state is still there
    plan = await plan_integration(moved.rt, moved.tenant_id, moved.iid)
    assert (plan.org_id, plan.state_records, plan.would_send) == (a18, 30, 0)
    third = await moved.run()
    assert (third.created, third.updated, third.unchanged) == (0, 0, 30)
    assert len(numbers(moved.a)) == 30


async def test_a_refreshed_sandbox_has_a_new_org_id_and_gets_everything(moved: Moved) -> None:
    await moved.run()
    with on_socket(org_with(ORG_C)) as refreshed:  # same credentials, a new org id
        with moved.rt.db.begin() as s:
            connections.update(s, moved.rt.vault, moved.tenant_id, "a",
                               ConnectionInput(login_url=refreshed.base_url))
        run = await moved.run()
        assert (run.status, run.created, run.unchanged) == ("succeeded", 30, 0)
        assert len(numbers(refreshed)) == 30


async def test_state_of_an_unknown_org_is_adopted_by_the_first_org_a_run_reaches(
    moved: Moved,
) -> None:
    await moved.run()
    a18 = moved.a.org.config.org_id
    with moved.rt.db.begin() as s:  # as migration 0010 leaves state it could not place
        s.execute(update(SyncState).where(SyncState.integration_id == moved.iid)
                  .values(org_id=org.UNKNOWN))
    plan = await plan_integration(moved.rt, moved.tenant_id, moved.iid)
    assert (plan.org_id, plan.state_records, plan.would_send) == (a18, 30, 0)
    assert moved.state_orgs() == {"": 30}  # a plan writes nothing
    run = await moved.run()
    assert (run.created, run.unchanged) == (0, 30)
    assert moved.state_orgs() == {a18: 30}


async def test_the_upgrade_gives_existing_state_to_the_org_its_connection_reaches(
    moved: Moved,
) -> None:
    await moved.run()
    moved.attach("b")
    await moved.run()
    a18 = moved.a.org.config.org_id
    with moved.rt.db.begin() as s:  # what "Save & authorize" records
        s.execute(update(Connection).where(Connection.name == "b").values(org_id=None))
        s.execute(update(Connection).where(Connection.name == "a").values(org_id=a18))
    moved.attach("a")
    # later migrations first (on SQLite one rebuilds connections, which detaches integrations)
    migrate.downgrade(moved.rt.db, "0010_org_state")
    with moved.rt.db.begin() as s:
        s.execute(text("UPDATE integrations SET connection_id = "
                       "(SELECT id FROM connections WHERE name = 'a')"))
    migrate.downgrade(moved.rt.db, "0009")  # one state per integration: org a's is kept
    with moved.rt.db.session() as s:
        assert s.execute(text("SELECT count(*) FROM sync_state")).scalar() == 30
    migrate.upgrade(moved.rt.db)
    assert moved.state_orgs() == {a18: 30}
    run = await moved.run()
    assert (run.created, run.unchanged) == (0, 30)


async def test_creates_a_killed_run_left_in_one_org_are_settled_in_that_org_not_another(
    moved: Moved,
) -> None:
    """Insert mode: the intents a run killed in org a left are kept while the integration
    runs against org b, and settled when it comes back to a: each record once in each org."""
    with moved.rt.db.begin() as s:
        integrations.update(s, moved.rt.vault, moved.tenant_id, moved.iid, IntegrationInput(
            config=invoice_config(Path("invoices.csv"), mode="insert")))
    first = await moved.run()
    assert (first.status, first.created) == ("succeeded", 30)
    a18, b18 = moved.a.org.config.org_id, moved.b.org.config.org_id
    with moved.rt.db.begin() as s:  # the killed run's creates 20..29: in org a, not recorded
        killed = Run(tenant_id=moved.tenant_id, integration_id=moved.iid, trigger="manual",
                     status="failed", error="the process running it stopped")
        s.add(killed)
        rows = {k: h for k, h in s.execute(select(SyncState.key, SyncState.hash).where(
            SyncState.integration_id == moved.iid, SyncState.key.in_(keys(20, 30))))}
        s.execute(delete(SyncState).where(SyncState.integration_id == moved.iid,
                                          SyncState.key.in_(keys(20, 30))))
        s.flush()
        s.add(WriteIntent(integration_id=moved.iid, run_id=killed.id, org_id=a18,
                          records=[[k, rows[k], None, k, None] for k in keys(20, 30)]))

    moved.attach("b")
    second = await moved.run()
    assert (second.status, second.created) == ("succeeded", 30)
    assert numbers(moved.b) == [f"INV-{i:06d}" for i in range(30)]
    with moved.rt.db.session() as s:  # org b has nothing to say about org a's creates
        assert [i.org_id for i in s.scalars(select(WriteIntent))] == [a18]
    assert moved.state_orgs() == {a18: 20, b18: 30}

    moved.attach("a")
    third = await moved.run()
    assert (third.status, third.created, third.unchanged) == ("succeeded", 0, 30)
    assert numbers(moved.a) == [f"INV-{i:06d}" for i in range(30)], "a record is twice in a"
    assert moved.state_orgs() == {a18: 30, b18: 30}
    with moved.rt.db.session() as s:
        assert list(s.scalars(select(WriteIntent))) == []
        assert s.get(Run, killed.id).created == 10  # type: ignore[union-attr]
