"""The run lock, runs that cannot finish, the failure streak and the self-disable email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from forcebridge.errors import Conflict, NotFound
from forcebridge.runs import FAILURE_STREAK_LIMIT, AlreadyRunning, run_integration
from forcebridge.services import audit, integrations
from forcebridge.services.run_lifecycle import STALE_REASON
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run
from forcebridge.store.types import utcnow
from tests.mail import smtp_server
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


def integration(world: World, iid: str) -> Integration:
    with world.rt.db.session() as s:
        found = s.get(Integration, iid)
        assert found is not None
        return found


async def test_refuses_unknown_disabled_and_unconnected_integrations(world: World) -> None:
    iid = world.integration()
    with pytest.raises(NotFound):
        await run_integration(world.rt, world.tenant_id, "nope")
    with world.rt.db.begin() as s:
        integrations.disable(s, world.tenant_id, iid, reason="maintenance")
    with pytest.raises(Conflict, match="disabled"):
        await run_integration(world.rt, world.tenant_id, iid)
    with world.rt.db.begin() as s:
        integrations.enable(s, world.tenant_id, iid)
        integrations.get(s, world.tenant_id, iid).connection_id = None
    with pytest.raises(Conflict, match="not connected"):
        await run_integration(world.rt, world.tenant_id, iid)


async def test_a_held_lock_refuses_and_a_stale_one_is_taken_over(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(3))
    iid = world.integration()
    with world.rt.db.begin() as s:
        run = Run(tenant_id=world.tenant_id, integration_id=iid, trigger="schedule")
        s.add(run)
        s.flush()
        s.get(Integration, iid).running_run_id = run.id  # type: ignore[union-attr]
        held = run.id
    with pytest.raises(AlreadyRunning):
        await run_integration(world.rt, world.tenant_id, iid)
    old = utcnow() - timedelta(seconds=1)
    with world.rt.db.begin() as s:
        s.execute(update(Run).where(Run.id == held).values(alive_until=old))
    new = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert new.status == "succeeded"
    stale = world.run(held)
    assert stale.status == "failed" and stale.error == STALE_REASON and stale.ended_at
    assert [e.message for e in world.events(held)] == [STALE_REASON]
    assert integration(world, iid).running_run_id is None
    assert integration(world, iid).failure_streak == 0  # the stale run counted, then reset


async def test_a_run_that_cannot_finish_fails_with_one_event(world: World) -> None:
    iid = world.integration()  # the CSV file does not exist
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.status == "failed" and run.ended_at is not None
    [event] = world.events(run.id)
    assert event.kind == "run_failed" and "cannot open" in event.message
    assert integration(world, iid).failure_streak == 1
    assert integration(world, iid).running_run_id is None


async def test_plan_problems_fail_the_run_listing_every_problem(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(3))
    iid = world.integration(mapping={
        "target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
        "mappings": [{"field": "Invoice_Number__c", "column": "number"},
                     {"field": "Nope__c", "column": "amount"},
                     {"field": "Status__c", "constant": "Lost"}],
    })
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.status == "failed"
    [event] = world.events(run.id)
    assert event.error_code == "invalid_mapping"
    assert "Nope__c" in event.message and "Lost" in event.message
    assert event.fields == ["Nope__c", "Status__c"]
    assert world.invoices() == []


async def test_authentication_and_limit_failures_end_the_run(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(3))
    iid = world.integration()
    world.emu.faults("exhaust=1")
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.status == "failed"
    [event] = world.events(run.id)
    assert event.error_code == "REQUEST_LIMIT_EXCEEDED" and "limit" in event.message
    world.emu.faults("none")
    world.emu.org.config.users[0].password = "changed"
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    [event] = world.events(run.id)
    assert run.status == "failed" and "credentials" in event.message
    assert "changed" not in event.message


async def test_ten_failed_runs_in_a_row_disable_the_integration_and_email_once(
    world: World,
) -> None:
    iid = world.integration()  # no CSV file: every run fails
    with smtp_server() as (inbox, port):
        world.rt.settings.smtp_host, world.rt.settings.smtp_port = "127.0.0.1", port
        for _ in range(FAILURE_STREAK_LIMIT):
            await run_integration(world.rt, world.tenant_id, iid)
        with pytest.raises(Conflict, match="disabled"):
            await run_integration(world.rt, world.tenant_id, iid)
    found = integration(world, iid)
    assert not found.enabled and found.failure_streak == FAILURE_STREAK_LIMIT
    assert found.disabled_reason and "10 failed runs" in found.disabled_reason
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "ops@acme.example" and "disabled itself" in mail["Subject"]
    with world.rt.db.session() as s:
        actions = [e.action for e in audit.list_entries(s, world.tenant_id)]
    assert "integration.auto_disable" in actions
    with world.rt.db.begin() as s:
        integrations.enable(s, world.tenant_id, iid)
    write_csv(world.files / "invoices.csv", invoice_rows(1))
    await run_integration(world.rt, world.tenant_id, iid)
    assert integration(world, iid).failure_streak == 0


async def test_a_partial_run_resets_the_streak(world: World) -> None:
    iid = world.integration()
    await run_integration(world.rt, world.tenant_id, iid)  # fails: no file
    rows = invoice_rows(2)
    rows[0]["amount"] = "x"
    write_csv(world.files / "invoices.csv", rows)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert run.status == "partial"
    assert integration(world, iid).failure_streak == 0
