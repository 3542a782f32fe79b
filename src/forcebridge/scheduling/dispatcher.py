"""`forcebridge scheduler`: with a broker, the passes that enqueue due work for the workers.

Each pass, in this order: end the runs whose process died and make their integrations due
at once (so the next worker takes the run over); claim the due ticks, each held for
`dispatch_lease_seconds` (scheduling.due), and send one run task per tick; send one outbox
delivery and one form resend task. Any number of schedulers may run: every claim is a
conditional UPDATE, so each tick goes to one of them. A task the broker loses (Redis
restarted before a worker took it) is recovered by the database: its tick's hold lapses and
the tick is claimed and sent again; one that turns up after that starts nothing.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from forcebridge import log
from forcebridge.outbox import delivery
from forcebridge.runtime import Runtime
from forcebridge.scheduling import broker, queued
from forcebridge.scheduling import due as due_ticks
from forcebridge.services import run_lifecycle as lifecycle
from forcebridge.store.types import utcnow

logger = log.get("scheduling")


class Dispatcher:
    """One per scheduler process; `pass_once(now)` is one pass, `run_forever()` the loop."""

    def __init__(self, rt: Runtime, app: Any = None) -> None:
        self.rt = rt
        self.app = app if app is not None else broker.celery_app(rt.settings)
        self.passes = 0
        self._broker_down = False

    def pass_once(self, now: datetime) -> list[due_ticks.Due]:
        """Take over dead runs, send due runs and the periodic jobs; the ticks sent."""
        settings = self.rt.settings
        ended = lifecycle.dead_runs_ended(self.rt)
        if ended:
            due_ticks.due_now(self.rt.db, ended, now)
            log.event(logger, "dead runs ended; their integrations run again", count=len(ended))
        hold = timedelta(seconds=settings.dispatch_lease_seconds)
        sent = []
        for due in due_ticks.claim_due(self.rt.db, now, hold=hold):
            kwargs = {
                "integration_id": due.integration_id, "tenant_id": due.tenant_id,
                "scheduled_for": due.scheduled_for.isoformat(),
                "held_until": due.next_run_at.isoformat(),
            }
            if self._send(broker.RUN, kwargs, expires=None):
                sent.append(due)
                log.event(logger, "scheduled run sent", integration_id=due.integration_id,
                          scheduled_for=due.scheduled_for)
        for run in lifecycle.queued_to_send(self.rt, now):
            # its task was lost (or no worker took it yet): send it again
            if queued.send(self.app, run):
                log.event(logger, "queued run sent again", run_id=run.id)
        expires = 3 * settings.scheduler_interval_seconds
        if delivery.pending_count(self.rt):
            self._send(broker.OUTBOX_DELIVERY, {}, expires=expires)
        self._send(broker.FORM_RESEND, {}, expires=expires)
        self.passes += 1
        return sent

    def _send(self, name: str, kwargs: dict[str, Any], *, expires: float | None) -> bool:
        try:
            self.app.send_task(name, kwargs=kwargs, queue=broker.QUEUE, expires=expires,
                               retry=False)
        except Exception as exc:
            # the claim's hold lapses and the next pass sends the tick again
            if not self._broker_down:
                logger.warning("scheduler: the broker cannot be reached (%s); due work waits",
                               type(exc).__name__)
            self._broker_down = True
            return False
        if self._broker_down:
            log.event(logger, "scheduler: the broker answers again")
        self._broker_down = False
        return True

    def run_forever(self) -> None:
        interval = self.rt.settings.scheduler_interval_seconds
        log.event(logger, "scheduler started", interval_seconds=interval, queue=broker.QUEUE)
        while True:
            try:
                self.pass_once(utcnow())
            except Exception:
                # e.g. the database is unreachable for a moment: the next pass tries again
                logger.exception("scheduler pass failed")
            time.sleep(interval)
