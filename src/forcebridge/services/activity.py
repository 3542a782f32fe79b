"""What happened over time, for the dashboard: API calls per day per connection, records
written per run, failures per day, outbox deliveries per day.

Read-only aggregations over a bounded window (days of runs, events and outbox messages), so
the work stays proportional to recent activity. `daily_allocations` asks each authorized org
for its daily API allocation (one `limits` call each), so the chart draws usage against it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.orm import Session

from forcebridge.runtime import Runtime
from forcebridge.salesforce import SalesforceError
from forcebridge.services import authorization, connections
from forcebridge.store.connections import Connection
from forcebridge.store.integrations import Integration
from forcebridge.store.outbox import OutboxMessage
from forcebridge.store.runs import Event, Run

DEFAULT_DAYS = 14
RECENT_RUNS = 50


@dataclass
class Activity:
    """The dashboard's series; `days` are the dates every per-day series is keyed by."""

    days: list[date]
    api_calls: dict[str, dict[date, int]] = field(default_factory=dict)  # connection -> day
    written: list[dict[str, Any]] = field(default_factory=list)  # recent runs, oldest first
    failures: dict[date, int] = field(default_factory=dict)
    delivered: dict[date, int] = field(default_factory=dict)
    dead: dict[date, int] = field(default_factory=dict)


def recent(session: Session, tenant_id: str, *, now: datetime, days: int = DEFAULT_DAYS) -> Activity:
    first = (now - timedelta(days=days - 1)).date()
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    out = Activity(days=[first + timedelta(days=i) for i in range(days)])

    named = select(Integration.id, Integration.name, Connection.name.label("connection")).outerjoin(
        Connection, Integration.connection_id == Connection.id
    ).where(Integration.tenant_id == tenant_id)
    integration_names, connection_of = {}, {}
    for row in session.execute(named):
        integration_names[row.id] = row.name
        connection_of[row.id] = row.connection or "not connected"

    calls: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    runs = session.scalars(
        select(Run).where(Run.tenant_id == tenant_id, Run.started_at >= since)
        .order_by(Run.started_at)
    ).all()
    for run in runs:
        calls[connection_of.get(run.integration_id, "?")][run.started_at.date()] += run.api_calls
    out.api_calls = {name: dict(per_day) for name, per_day in calls.items()}
    out.written = [
        {
            "at": run.started_at,
            "integration": integration_names.get(run.integration_id, "?"),
            "written": run.created + run.updated + run.deleted,
            "failed": run.failed,
        }
        for run in runs[-RECENT_RUNS:]
    ]

    failures: dict[date, int] = defaultdict(int)
    for (at,) in session.execute(
        select(Event.created_at).where(Event.tenant_id == tenant_id, Event.created_at >= since)
    ):
        failures[at.date()] += 1
    out.failures = dict(failures)

    delivered: dict[date, int] = defaultdict(int)
    dead: dict[date, int] = defaultdict(int)
    rows = session.execute(
        select(OutboxMessage.status, OutboxMessage.delivered_at, OutboxMessage.created_at).where(
            OutboxMessage.tenant_id == tenant_id, OutboxMessage.created_at >= since
        )
    )
    for status, delivered_at, created_at in rows:
        if status == "delivered" and delivered_at is not None:
            delivered[delivered_at.date()] += 1
        elif status == "dead":
            dead[created_at.date()] += 1
    out.delivered, out.dead = dict(delivered), dict(dead)
    return out


ALLOCATION_WAIT_SECONDS = 5.0


async def daily_allocations(rt: Runtime, tenant_id: str) -> dict[str, int]:
    """Each authorized connection's daily API allocation (`DailyApiRequests.Max`); an org that
    does not answer within `ALLOCATION_WAIT_SECONDS` is left out rather than holding the page
    up."""

    def authorized() -> list[tuple[str, Any]]:
        with rt.db.begin() as s:
            return [
                (c.name, authorization.client_for(rt, s, c))
                for c in connections.list_all(s, tenant_id)
                if c.status == "authorized"
            ]

    found: dict[str, int] = {}
    for name, client in await anyio.to_thread.run_sync(authorized):
        try:
            with anyio.fail_after(ALLOCATION_WAIT_SECONDS):
                async with client as sf:
                    limits = await sf.limits()
        except (SalesforceError, TimeoutError, OSError):
            continue
        daily = limits.get("DailyApiRequests", {})
        if "Max" in daily:
            found[name] = int(daily["Max"])
    return found
