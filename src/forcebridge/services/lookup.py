"""Finding a tenant's thing by what a user types: its id, or its name (or another key).

Every face takes either, so `api-clients rotate "Salesforce prod"` works as well as the id.
Names need not be unique for every kind of thing (API keys, API clients); when several match,
the live ones (not revoked) are preferred, and if that still leaves several the answer is a
conflict listing their ids rather than a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forcebridge.errors import Conflict, NotFound

T = TypeVar("T")


def one(
    session: Session,
    model: type[T],
    tenant_id: str,
    ref: str,
    *,
    what: str,
    keys: Sequence[str] = ("name",),
) -> T:
    """The `model` row of the tenant whose id is `ref`, else whose first matching key column
    equals it (case-insensitively, surrounding spaces ignored)."""
    found: Any = session.get(model, ref)
    if found is not None and found.tenant_id == tenant_id:
        return found
    wanted = ref.strip().lower()
    table: Any = model
    for key in keys:
        rows: list[Any] = list(
            session.scalars(
                select(model)
                .where(table.tenant_id == tenant_id, func.lower(getattr(table, key)) == wanted)
                .limit(20)
            )
        )
        if len(rows) > 1:
            live = [r for r in rows if getattr(r, "revoked_at", None) is None]
            rows = live if live else rows
        if len(rows) == 1:
            return rows[0]
        if rows:
            ids = ", ".join(r.id for r in rows)
            raise Conflict(
                f"{len(rows)} {what}s match {ref!r}; give one of their ids: {ids}",
                details=[{"field": key, "reason": f"matches {len(rows)} {what}s"}],
            )
    raise NotFound(f"{what} {ref!r} not found")
