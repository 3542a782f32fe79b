"""Which runs count towards auto-disable: a run that wrote nothing while records failed is
failed, on the emulator served on a real socket, as production reaches an org."""

from __future__ import annotations

import pytest

from forcebridge.errors import Conflict
from forcebridge.runs import FAILURE_STREAK_LIMIT, run_integration
from tests.mail import smtp_server
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


async def test_all_rejected_runs_fail_reach_the_limit_and_email_once(live: World) -> None:
    # two invoices whose account the org does not have: Salesforce rejects both, every run
    write_csv(live.files / "invoices.csv", invoice_rows(2, account="A-404"))
    iid = live.integration(reference=True)
    with smtp_server() as (inbox, port):
        live.rt.settings.smtp_host, live.rt.settings.smtp_port = "127.0.0.1", port
        for n in range(1, FAILURE_STREAK_LIMIT + 1):
            run = live.run(await run_integration(live.rt, live.tenant_id, iid))
            assert (run.status, run.failed, run.created + run.updated) == ("failed", 2, 0)
            assert run.error and "no record was written" in run.error
            assert live.stored(iid).failure_streak == n
            assert live.stored(iid).enabled is (n < FAILURE_STREAK_LIMIT)
            assert not inbox.messages or n == FAILURE_STREAK_LIMIT
        with pytest.raises(Conflict, match="disabled"):
            await run_integration(live.rt, live.tenant_id, iid)
    found = live.stored(iid)
    assert found.disabled_reason and "10 failed runs" in found.disabled_reason
    assert "no record was written" in found.disabled_reason
    [mail] = inbox.messages
    assert mail["To"] == "ops@acme.example" and "disabled itself" in mail["Subject"]
    assert live.invoices() == []
    # ten runs, two records: two open events, each seen ten times
    rejected = live.events(kind="record_rejected")
    assert sorted((e.record_key, e.occurrences) for e in rejected) == [
        ("INV-000000", FAILURE_STREAK_LIMIT), ("INV-000001", FAILURE_STREAK_LIMIT)]


async def test_a_run_that_writes_anything_resets_the_streak(live: World) -> None:
    rows = invoice_rows(2, account="A-404")
    write_csv(live.files / "invoices.csv", rows)
    iid = live.integration(reference=True)
    for _ in range(3):
        await run_integration(live.rt, live.tenant_id, iid)
    assert live.stored(iid).failure_streak == 3

    live.emu.org.insert("Account", {"Name": "Acme", "External_Id__c": "A-1"})
    rows[0]["account"] = "A-1"  # one of the two can be written now
    write_csv(live.files / "invoices.csv", rows)
    run = live.run(await run_integration(live.rt, live.tenant_id, iid))
    assert (run.status, run.created, run.failed, run.error) == ("partial", 1, 1, None)
    assert live.stored(iid).failure_streak == 0

    # nothing left to send but the rejected one: a run that writes nothing and fails counts
    run = live.run(await run_integration(live.rt, live.tenant_id, iid))
    assert (run.status, run.unchanged, run.failed) == ("failed", 1, 1)
    assert live.stored(iid).failure_streak == 1

    rows.pop()  # the bad record leaves the source: nothing fails, nothing to write
    write_csv(live.files / "invoices.csv", rows)
    run = live.run(await run_integration(live.rt, live.tenant_id, iid))
    assert (run.status, run.unchanged, run.failed) == ("succeeded", 1, 0)
    assert live.stored(iid).failure_streak == 0
