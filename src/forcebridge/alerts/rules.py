"""The alert rules, and what holds now for one tenant: the conditions an incident opens on.

Each rule finds its subjects in the store (never in a process's memory), so any process may
evaluate, and a condition that stops holding resolves its incident wherever it is seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forcebridge.store.connections import Connection
from forcebridge.store.integrations import Integration
from forcebridge.store.outbox import OutboxMessage

RULES: dict[str, str] = {
    "integration_disabled": "an integration is disabled (after its failed runs, or by someone)",
    "failed_runs": "an integration failed N runs in a row (N: the channel's failed_runs)",
    "connection_reauthorization": "a connection needs re-authorization",
    "dead_letters": "an event integration holds dead letters (deliveries given up on)",
    "api_budget": "an org used 80 % (and again at 95 %) of its daily API allocation",
    "schedule_missed": "a scheduled run did not start within the grace period of its tick",
}
BUDGET_STEPS = (80, 95)


@dataclass(frozen=True)
class Condition:
    """One rule holding for one subject; `key` names it across evaluations."""

    rule: str  # the incident's rule: a RULES name, or api_budget_80 / api_budget_95
    subject_type: str  # integration or connection
    subject_id: str
    subject_name: str
    summary: str

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject_id}"


def holding(
    session: Session, tenant_id: str, rules: list[str], failed_runs: int, now: datetime,
    schedule_grace: timedelta,
) -> dict[str, Condition]:
    """Every condition of `rules` that holds now for the tenant, by key."""
    found: list[Condition] = []
    integrations = list(session.scalars(
        select(Integration).where(Integration.tenant_id == tenant_id)))
    for integration in integrations:
        subject = ("integration", integration.id, integration.name)
        if "integration_disabled" in rules and not integration.enabled:
            reason = integration.disabled_reason or "disabled"
            found.append(Condition("integration_disabled", *subject,
                                   f"Integration {integration.name!r} is disabled: {reason}"))
        streak = integration.failure_streak or 0
        if "failed_runs" in rules and streak >= failed_runs:
            found.append(Condition("failed_runs", *subject,
                                   f"Integration {integration.name!r} failed {streak} runs in "
                                   "a row"))
        due = integration.next_run_at
        if ("schedule_missed" in rules and integration.enabled and integration.schedule
                and integration.connection_id and due is not None
                and now - due > schedule_grace):
            late = int((now - due).total_seconds() // 60)
            found.append(Condition("schedule_missed", *subject,
                                   f"Integration {integration.name!r}: the run due at "
                                   f"{due:%Y-%m-%d %H:%M} UTC has not started ({late} min late)"))
    if "dead_letters" in rules:
        names = {i.id: i.name for i in integrations}
        rows = session.execute(
            select(OutboxMessage.integration_id, func.count())
            .where(OutboxMessage.tenant_id == tenant_id, OutboxMessage.status == "dead")
            .group_by(OutboxMessage.integration_id))
        for integration_id, count in rows:
            name = names.get(integration_id, integration_id)
            found.append(Condition("dead_letters", "integration", integration_id, name,
                                   f"Integration {name!r} holds {count} dead letter(s)"))
    connections = session.scalars(select(Connection).where(Connection.tenant_id == tenant_id))
    for conn in connections:
        subject = ("connection", conn.id, conn.name)
        if "connection_reauthorization" in rules and conn.status == "needs_reauthorization":
            found.append(Condition("connection_reauthorization", *subject,
                                   f"Connection {conn.name!r} needs re-authorization: "
                                   f"{conn.status_reason or 'Salesforce revoked its access'}"))
        if "api_budget" in rules and conn.api_used is not None and conn.api_allocation:
            share = 100 * conn.api_used / conn.api_allocation
            for step in BUDGET_STEPS:
                if share >= step:
                    found.append(Condition(
                        f"api_budget_{step}", *subject,
                        f"Connection {conn.name!r}: the org used {share:.0f} % of its daily "
                        f"API allocation ({conn.api_used:,} of {conn.api_allocation:,})"))
    return {c.key: c for c in found}
