"""Due detection and claiming with a fixed clock: first ticks, catch-up, skips, exclusivity."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from forcebridge.scheduling import due
from forcebridge.services.integrations import default_schedule
from forcebridge.store.db import Database
from forcebridge.store.runs import Run
from tests.scheduling.conftest import Tenant, at


def test_a_new_integration_is_due_at_once_then_follows_its_schedule(acme: Tenant) -> None:
    new = acme.integration("accounts", schedule="5 * * * *")
    claimed = due.claim_due(acme.rt.db, at(12, 30))
    assert [(d.integration_id, d.scheduled_for) for d in claimed] == [(new, at(12, 30))]
    assert acme.row(new).next_run_at == at(13, 5)
    assert due.claim_due(acme.rt.db, at(13, 4, 59)) == []
    assert [d.scheduled_for for d in due.claim_due(acme.rt.db, at(13, 5))] == [at(13, 5)]


def test_one_that_has_run_waits_for_its_next_tick(acme: Tenant) -> None:
    # e.g. its schedule was just changed, or it was enabled again: both reset next_run_at
    ran = acme.integration("accounts", schedule="*/15 * * * *")
    acme.past_run(ran)
    assert due.claim_due(acme.rt.db, at(12, 20)) == []
    assert acme.row(ran).next_run_at == at(12, 30)
    assert [d.scheduled_for for d in due.claim_due(acme.rt.db, at(12, 31))] == [at(12, 30)]
    assert acme.row(ran).next_run_at == at(12, 45)


def test_the_default_schedule_is_hourly_at_a_minute_fixed_per_integration(acme: Tenant) -> None:
    made = acme.integration("accounts", schedule=None)
    schedule = acme.row(made).schedule
    assert schedule == default_schedule(made)
    acme.past_run(made)
    due.set_first_ticks(acme.rt.db, at(12, 30))
    minute = int(schedule.split()[0])
    assert 0 <= minute <= 9 and acme.row(made).next_run_at == at(13, minute)


def test_ticks_missed_while_down_become_one_catch_up_run(acme: Tenant) -> None:
    made = acme.integration("accounts", schedule="5 * * * *")
    acme.set(made, next_run_at=at(7, 5))  # last claimed at 6:05; the scheduler then stopped
    claimed = due.claim_due(acme.rt.db, at(12, 40))  # 7:05 .. 12:05 missed: six ticks
    assert [(d.scheduled_for, d.next_run_at) for d in claimed] == [(at(7, 5), at(13, 5))]
    assert acme.row(made).next_run_at == at(13, 5)
    assert due.claim_due(acme.rt.db, at(12, 41)) == []


def test_disabled_not_connected_and_unscheduled_integrations_are_skipped(acme: Tenant) -> None:
    disabled = acme.integration("disabled", enabled=False)
    loose = acme.integration("not connected", connected=False)
    manual = acme.integration("manual only", schedule="")
    for integration_id in (disabled, loose, manual):
        acme.set(integration_id, next_run_at=at(6))
    assert due.claim_due(acme.rt.db, at(12)) == []
    assert {acme.row(i).next_run_at for i in (disabled, loose, manual)} == {at(6)}
    # connected and enabled again: runs (enabling resets the tick; never ran: due at once)
    acme.set(loose, connection_id=acme.row(disabled).connection_id)
    acme.set(disabled, enabled=True, next_run_at=None)
    assert {d.integration_id for d in due.claim_due(acme.rt.db, at(12))} == {disabled, loose}


def test_integrations_running_here_are_left_due(acme: Tenant) -> None:
    busy, idle = acme.integration("busy"), acme.integration("idle")
    acme.set(busy, next_run_at=at(11, 5))
    acme.set(idle, next_run_at=at(11, 5))
    claimed = due.claim_due(acme.rt.db, at(12), skip=frozenset({busy}))
    assert [d.integration_id for d in claimed] == [idle]
    assert acme.row(busy).next_run_at == at(11, 5)


def test_a_released_tick_is_due_again(acme: Tenant) -> None:
    made = acme.integration("accounts")
    acme.set(made, next_run_at=at(11, 5))
    (claim,) = due.claim_due(acme.rt.db, at(12))
    assert due.release(acme.rt.db, claim)
    assert acme.row(made).next_run_at == at(11, 5)
    assert not due.release(acme.rt.db, claim)  # already back: a second release changes nothing
    assert [d.scheduled_for for d in due.claim_due(acme.rt.db, at(12))] == [at(11, 5)]


def test_two_schedulers_never_claim_the_same_tick(acme: Tenant) -> None:
    made = [acme.integration(f"sync {i}") for i in range(8)]
    for integration_id in made:
        acme.set(integration_id, next_run_at=at(11, 5))
    # two processes: their own engines on one database, claiming at the same moment
    databases = [Database(acme.rt.settings.resolved_database_url) for _ in range(2)]
    start = threading.Barrier(2)
    claims: list[list[due.Due]] = [[], []]

    def scheduler(n: int) -> None:
        start.wait()
        claims[n] = due.claim_due(databases[n], at(12))

    threads = [threading.Thread(target=scheduler, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for db in databases:
        db.dispose()
    claimed = [d.integration_id for d in claims[0] + claims[1]]
    assert sorted(claimed) == sorted(made)


def test_a_schedule_that_cannot_be_evaluated_skips_only_that_integration(acme: Tenant) -> None:
    broken, fine = acme.integration("broken"), acme.integration("fine")
    acme.set(broken, schedule="not a cron", next_run_at=None)
    claimed = due.claim_due(acme.rt.db, at(12))
    assert [d.integration_id for d in claimed] == [fine]
    acme.set(broken, next_run_at=at(11))
    assert [d.integration_id for d in due.claim_due(acme.rt.db, at(12))] == []


def test_a_held_tick_is_moved_on_by_the_worker_that_starts_it(acme: Tenant) -> None:
    made = acme.integration("accounts", schedule="5 * * * *")
    hold = timedelta(minutes=2)
    [held] = due.claim_due(acme.rt.db, at(12, 30), hold=hold)
    assert acme.row(made).next_run_at == at(12, 32)  # held, not yet the next tick
    assert due.claim_due(acme.rt.db, at(12, 31), hold=hold) == []  # another scheduler
    confirmed = due.confirm(acme.rt.db, held, at(12, 31))
    assert confirmed is not None and confirmed.scheduled_for == at(12, 30)
    assert acme.row(made).next_run_at == at(13, 5)
    assert due.confirm(acme.rt.db, held, at(12, 31)) is None  # the same task twice


def test_a_held_tick_whose_task_was_lost_is_claimed_again_and_the_late_task_starts_nothing(
    acme: Tenant,
) -> None:
    made = acme.integration("accounts", schedule="5 * * * *")
    hold = timedelta(minutes=2)
    [lost] = due.claim_due(acme.rt.db, at(12, 30), hold=hold)
    [again] = due.claim_due(acme.rt.db, at(12, 33), hold=hold)  # the hold lapsed
    assert due.confirm(acme.rt.db, lost, at(12, 34)) is None
    assert due.confirm(acme.rt.db, again, at(12, 34)) is not None
    assert acme.row(made).next_run_at == at(13, 5)


def test_held_claims_leave_an_integration_with_a_run_going(acme: Tenant) -> None:
    made = acme.integration("accounts", schedule="5 * * * *")
    acme.past_run(made)
    with acme.rt.db.begin() as s:
        run_id = s.scalars(select(Run.id).where(Run.integration_id == made)).one()
    acme.set(made, next_run_at=at(12, 5), running_run_id=run_id)
    assert due.claim_due(acme.rt.db, at(12, 30), hold=timedelta(minutes=2)) == []
    assert due.due_now(acme.rt.db, [made], at(12, 31)) == 1
    assert acme.row(made).next_run_at == at(12, 31)
