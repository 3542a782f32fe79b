"""The org's API usage, kept on the connection as Salesforce last reported it.

Each answer carries `Sforce-Limit-Info`; the client keeps the latest, and the work that used
a client (a run, its heartbeats, an outbox pass) writes it here, so metrics and the budget
alert read one figure whichever process made the calls.
"""

from __future__ import annotations

from sqlalchemy import update

from forcebridge.salesforce import ApiUsage
from forcebridge.store.connections import Connection
from forcebridge.store.db import Database
from forcebridge.store.types import utcnow


def note(db: Database, connection_id: str, usage: ApiUsage | None) -> None:
    """Keep `usage` as the connection's latest (nothing when the org reported none)."""
    if usage is None:
        return
    with db.begin() as session:
        session.execute(
            update(Connection).where(Connection.id == connection_id)
            .values(api_used=usage.used, api_allocation=usage.allocation, api_usage_at=utcnow())
            .execution_options(synchronize_session=False)
        )
