"""Finding an integration by what a user types, without loading what saving one needs.

Listing runs or events of an integration only has to find it; the rest of
`forcebridge.services.integrations` (kind configurations, forms, connections, validation)
is for creating and changing one, and costs a command's start-up time to import.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forcebridge.errors import NotFound
from forcebridge.store.integrations import Integration


def get(session: Session, tenant_id: str, ref: str) -> Integration:
    """By id or by name (case-insensitive) within the tenant."""
    found = session.get(Integration, ref)
    if found is None or found.tenant_id != tenant_id:
        found = session.scalar(
            select(Integration).where(
                Integration.tenant_id == tenant_id,
                func.lower(Integration.name) == ref.strip().lower(),
            )
        )
    if found is None:
        raise NotFound(f"integration {ref!r} not found")
    end_dead_run(session, found)
    return found


def end_dead_run(session: Session, integration: Integration) -> None:
    """A run whose process died shows `failed` to whoever looks at its integration."""
    if integration.running_run_id is not None:
        from forcebridge.services.run_lifecycle import end_if_dead  # which imports this module

        end_if_dead(session, integration)
