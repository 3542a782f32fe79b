"""The periodic jobs of each pass: each one started, never two at once, failures logged."""

from __future__ import annotations

import asyncio

import pytest

from forcebridge import alerts
from forcebridge.forms import sending
from forcebridge.outbox import delivery
from forcebridge.runtime import Runtime
from forcebridge.scheduling import Scheduler, jobs
from forcebridge.scheduling.jobs import JOBS, Job
from tests.scheduling import probe_jobs
from tests.scheduling.conftest import at

pytestmark = pytest.mark.anyio

PROBES = (
    Job("counting", probe_jobs.counting),
    Job("failing", probe_jobs.failing),
    Job("slow", probe_jobs.slow),
)


def test_jobs_are_the_outbox_delivery_form_resends_dead_runs_and_alerts() -> None:
    assert [job.function for job in JOBS] == [
        delivery.deliver_due, sending.resend_pending, jobs.end_dead_runs, alerts.pass_once]


async def test_each_pass_runs_the_jobs_and_a_failing_one_stops_nothing(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    probe_jobs.calls.clear()
    scheduler = Scheduler(runtime, jobs=PROBES)
    try:
        for second in range(3):
            await scheduler.pass_once(at(12, 0, second))
            await asyncio.sleep(0.05)
        assert scheduler.passes == 3
        assert probe_jobs.calls.count("counting") == 3
        assert probe_jobs.calls.count("failing") == 3
        assert probe_jobs.calls.count("slow") == 1  # still going: never two of one job at once
        failures = [r for r in caplog.records if r.getMessage() == "periodic job failed"]
        assert len(failures) == 3 and failures[0].fields == {"job": "failing"}  # type: ignore[attr-defined]
    finally:
        await scheduler.stop()
