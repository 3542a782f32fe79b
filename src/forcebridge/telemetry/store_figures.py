"""The figures the store already holds, read at scrape time: runs, outbox, form posts, events,
integrations, connections and their API usage.

Reading them from the database on each scrape, instead of counting them in memory, makes them
right however many processes serve the API or do the work: every process (and every machine)
answers the same figures, so scraping any one of them is enough. Labels are names (tenant,
integration, connection), statuses and kinds: never a record key or a secret.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.orm import Session

from forcebridge.store.connections import Connection
from forcebridge.store.db import Database
from forcebridge.store.form_posts import FormPost
from forcebridge.store.integrations import Integration
from forcebridge.store.models import Tenant
from forcebridge.store.outbox import OutboxMessage
from forcebridge.store.runs import Event as StoreEvent
from forcebridge.store.runs import Run
from forcebridge.store.types import utcnow

# Run durations span seconds (a few changed records) to hours (a first bulk load).
DURATION_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14_400.0)
RECORD_OUTCOMES = ("read", "created", "updated", "unchanged", "failed", "deleted")


@dataclass(frozen=True)
class _Names:
    tenants: dict[str, str]
    integrations: dict[str, Integration]
    connections: dict[str, Connection]

    def integration(self, integration_id: str) -> tuple[str, str] | None:
        found = self.integrations.get(integration_id)
        if found is None:
            return None
        return self.tenants.get(found.tenant_id, ""), found.name


def _seconds_between(db: Database, start: Any, end: Any) -> ColumnElement[float]:
    if db.dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)


class StoreCollector:
    """A prometheus_client collector over the store (registered per scrape, see exposition)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def describe(self) -> list[Any]:
        return []  # figures depend on the store; no checks at registration

    def collect(self) -> Iterator[Any]:
        with self.db.session() as session:
            names = _Names(
                tenants={i: n for i, n in session.execute(select(Tenant.id, Tenant.name))},
                integrations={i.id: i for i in session.scalars(select(Integration))},
                connections={c.id: c for c in session.scalars(select(Connection))},
            )
            now = utcnow()
            yield from self._integrations(names, now)
            yield from self._runs(session, names)
            yield from self._durations(session, names)
            yield from self._schedule(session, names, now)
            yield from self._connections(names)
            yield from self._outbox(session, names, now)
            yield from self._forms(session, names)
            yield from self._events(session, names)

    # -- integrations ------------------------------------------------------------------
    def _integrations(self, names: _Names, now: datetime) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        enabled = GaugeMetricFamily(
            "forcebridge_integration_enabled", "1 when the integration is enabled, 0 when not.",
            labels=["tenant", "integration", "kind"])
        streak = GaugeMetricFamily(
            "forcebridge_integration_failed_runs_in_a_row",
            "Failed runs in a row (the integration disables itself at 10).",
            labels=["tenant", "integration"])
        for integration in names.integrations.values():
            tenant = names.tenants.get(integration.tenant_id, "")
            enabled.add_metric([tenant, integration.name, integration.kind],
                               1.0 if integration.enabled else 0.0)
            streak.add_metric([tenant, integration.name], float(integration.failure_streak or 0))
        yield enabled
        yield streak

    # -- runs --------------------------------------------------------------------------
    def _runs(self, session: Session, names: _Names) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        runs = CounterMetricFamily(
            "forcebridge_runs", "Runs ended, by status (succeeded, partial, failed).",
            labels=["tenant", "integration", "status"])
        records = CounterMetricFamily(
            "forcebridge_run_records",
            "Records of ended runs, by outcome (read, created, updated, unchanged, failed, "
            "deleted).", labels=["tenant", "integration", "outcome"])
        calls = CounterMetricFamily(
            "forcebridge_run_api_calls", "Salesforce API calls made by ended runs.",
            labels=["tenant", "integration"])
        running = GaugeMetricFamily(
            "forcebridge_runs_running", "Runs going on now.", labels=["tenant", "integration"])
        sums = [func.sum(getattr(Run, outcome)) for outcome in RECORD_OUTCOMES]
        rows = session.execute(
            select(Run.integration_id, Run.status, func.count(), func.sum(Run.api_calls), *sums)
            .group_by(Run.integration_id, Run.status)
        ).all()
        api_calls: dict[tuple[str, str], float] = defaultdict(float)
        outcomes: dict[tuple[str, str, str], float] = defaultdict(float)
        for integration_id, status, count, used, *figures in rows:
            labels = names.integration(integration_id)
            if labels is None:
                continue
            if status == "running":
                running.add_metric(list(labels), float(count))
                continue
            runs.add_metric([*labels, status], float(count))
            api_calls[labels] += float(used or 0)
            for outcome, value in zip(RECORD_OUTCOMES, figures, strict=True):
                outcomes[(*labels, outcome)] += float(value or 0)
        for labels, value in api_calls.items():
            calls.add_metric(list(labels), value)
        for key, value in outcomes.items():
            records.add_metric(list(key), value)
        yield runs
        yield records
        yield calls
        yield running

    def _durations(self, session: Session, names: _Names) -> Iterator[Any]:
        from prometheus_client.core import HistogramMetricFamily

        family = HistogramMetricFamily(
            "forcebridge_run_duration_seconds", "How long ended runs took.",
            labels=["tenant", "integration"])
        seconds = _seconds_between(self.db, Run.started_at, Run.ended_at)
        buckets = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in DURATION_BUCKETS]
        rows = session.execute(
            select(Run.integration_id, func.count(), func.sum(seconds), *buckets)
            .where(Run.ended_at.is_not(None)).group_by(Run.integration_id)
        ).all()
        for integration_id, count, total, *counts in rows:
            labels = names.integration(integration_id)
            if labels is None:
                continue
            cumulative = [(_bound(b), float(c or 0)) for b, c in zip(DURATION_BUCKETS, counts,
                                                                      strict=True)]
            family.add_metric(list(labels), [*cumulative, ("+Inf", float(count))],
                              sum_value=float(total or 0))
        yield family

    def _schedule(self, session: Session, names: _Names, now: datetime) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily

        lag = SummaryMetricFamily(
            "forcebridge_scheduler_lag_seconds",
            "From the tick a scheduled run was due to when it started.",
            labels=["tenant", "integration"])
        overdue = GaugeMetricFamily(
            "forcebridge_schedule_overdue_seconds",
            "How long the next tick of a scheduled integration has been due without a run "
            "starting (0 when not due yet).", labels=["tenant", "integration"])
        seconds = _seconds_between(self.db, Run.scheduled_for, Run.started_at)
        rows = session.execute(
            select(Run.integration_id, func.count(), func.sum(seconds))
            .where(Run.scheduled_for.is_not(None)).group_by(Run.integration_id)
        ).all()
        for integration_id, count, total in rows:
            labels = names.integration(integration_id)
            if labels is not None:
                lag.add_metric(list(labels), int(count), max(float(total or 0), 0.0))
        for integration in names.integrations.values():
            if not (integration.enabled and integration.schedule and integration.connection_id):
                continue
            due = integration.next_run_at
            late = max((now - due).total_seconds(), 0.0) if due is not None else 0.0
            overdue.add_metric([names.tenants.get(integration.tenant_id, ""), integration.name],
                               late)
        yield lag
        yield overdue

    # -- connections -------------------------------------------------------------------
    def _connections(self, names: _Names) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        labels = ["tenant", "connection"]
        status = GaugeMetricFamily(
            "forcebridge_connection_status", "1 for the connection's current status.",
            labels=[*labels, "status"])
        used = GaugeMetricFamily(
            "forcebridge_salesforce_api_used",
            "API calls the org used in its 24-hour window, as its last answer reported "
            "(Sforce-Limit-Info).", labels=labels)
        allocation = GaugeMetricFamily(
            "forcebridge_salesforce_api_allocation", "The org's daily API allocation.",
            labels=labels)
        remaining = GaugeMetricFamily(
            "forcebridge_salesforce_api_remaining", "API calls left in the org's allocation.",
            labels=labels)
        for conn in names.connections.values():
            values = [names.tenants.get(conn.tenant_id, ""), conn.name]
            status.add_metric([*values, conn.status], 1.0)
            if conn.api_used is None or conn.api_allocation is None:
                continue
            used.add_metric(values, float(conn.api_used))
            allocation.add_metric(values, float(conn.api_allocation))
            remaining.add_metric(values, float(max(conn.api_allocation - conn.api_used, 0)))
        yield status
        yield used
        yield allocation
        yield remaining

    # -- outbox, forms, events ---------------------------------------------------------
    def _outbox(self, session: Session, names: _Names, now: datetime) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        labels = ["tenant", "integration"]
        depth = GaugeMetricFamily(
            "forcebridge_outbox_messages", "Outbox messages by status (pending, delivered, "
            "dead).", labels=[*labels, "status"])
        oldest = GaugeMetricFamily(
            "forcebridge_outbox_oldest_pending_age_seconds",
            "Age of the oldest message not yet delivered (0 when none waits).", labels=labels)
        dead = GaugeMetricFamily(
            "forcebridge_outbox_dead_letters",
            "Messages whose attempts are spent, waiting for a person to replay them.",
            labels=labels)
        rows = session.execute(
            select(OutboxMessage.integration_id, OutboxMessage.status, func.count(),
                   func.min(OutboxMessage.created_at))
            .group_by(OutboxMessage.integration_id, OutboxMessage.status)
        ).all()
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for integration_id, state, count, first in rows:
            key = names.integration(integration_id)
            if key is None:
                continue
            depth.add_metric([*key, state], float(count))
            seen.setdefault(key, {})[state] = (count, first)
        for integration in names.integrations.values():
            if integration.kind != "event_publish":
                continue
            key = (names.tenants.get(integration.tenant_id, ""), integration.name)
            states = seen.get(key, {})
            pending = states.get("pending")
            age = (now - _aware(pending[1])).total_seconds() if pending else 0.0
            oldest.add_metric(list(key), max(age, 0.0))
            dead.add_metric(list(key), float(states.get("dead", (0, None))[0]))
        yield depth
        yield oldest
        yield dead

    def _forms(self, session: Session, names: _Names) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        posts = GaugeMetricFamily(
            "forcebridge_form_posts",
            "Form posts kept, by status: created (accepted by Salesforce), rejected (kept for "
            "replay), pending (not sent yet), sending, unknown, retried.",
            labels=["tenant", "integration", "status"])
        rows = session.execute(
            select(FormPost.integration_id, FormPost.status, func.count())
            .group_by(FormPost.integration_id, FormPost.status)
        ).all()
        for integration_id, state, count in rows:
            key = names.integration(integration_id)
            if key is not None:
                posts.add_metric([*key, state], float(count))
        yield posts

    def _events(self, session: Session, names: _Names) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(
            "forcebridge_events_open", "Open events (failures waiting for a person), by kind.",
            labels=["tenant", "integration", "kind"])
        rows = session.execute(
            select(StoreEvent.integration_id, StoreEvent.kind, func.count())
            .where(StoreEvent.status == "open")
            .group_by(StoreEvent.integration_id, StoreEvent.kind)
        ).all()
        for integration_id, kind, count in rows:
            key = names.integration(integration_id)
            if key is not None:
                family.add_metric([*key, kind], float(count))
        yield family


def _bound(value: float) -> str:
    return str(value)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
