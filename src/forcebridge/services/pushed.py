"""Records the product pushes to an entity sync with a `push` source, kept until a run reads them.

A push is stored (table `pushed_records`, one row per key, the latest push wins) in the
caller's transaction, so the API acknowledges only what is committed: nothing acknowledged is
lost if the process dies right after. Removing a key is how a product says a record is gone;
in mirror mode the next run then deletes it from Salesforce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forcebridge.errors import InvalidInput
from forcebridge.sources.base import key_text
from forcebridge.sources.push import PushSourceSpec
from forcebridge.store.integrations import Integration
from forcebridge.store.sync_state import PushedRecord
from forcebridge.store.types import utcnow

MAX_RECORDS = 10_000
"""Records (or keys) per call: large pushes go in several calls, each a bounded transaction."""

MAX_KEY_LENGTH = 255
_CHUNK = 500  # rows per INSERT statement: well under every driver's bind-parameter limit


def spec_of(integration: Integration) -> PushSourceSpec:
    """The integration's push source; refused for any other kind of integration or source."""
    source = integration.config.get("source") if integration.kind == "entity_sync" else None
    kind = source.get("kind") if isinstance(source, dict) else None
    if kind != "push":
        what = f"a {kind} source" if kind else f"a {integration.kind} integration"
        raise InvalidInput.field(
            "config.source.kind",
            f"integration {integration.name!r} has {what}; records can be pushed only to an "
            "entity sync whose source kind is push",
        )
    assert isinstance(source, dict)
    return PushSourceSpec.model_validate(source)


def _key(value: Any, field: str) -> str:
    key = key_text(value) if isinstance(value, str | int | float) and not isinstance(
        value, bool
    ) else None
    if key is None:
        raise InvalidInput.field(field, "is required: a non-empty text or number")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput.field(field, f"must be at most {MAX_KEY_LENGTH} characters")
    return key


def _check_count(items: Sequence[Any], field: str) -> None:
    if len(items) > MAX_RECORDS:
        raise InvalidInput.field(
            field, f"at most {MAX_RECORDS} per call (got {len(items)}); send several calls"
        )


def push(session: Session, integration: Integration, records: list[dict[str, Any]]) -> int:
    """Store records for the integration's next run; returns how many were stored.

    Each record must carry the source's key column (`records.{i}.{key_column}` otherwise),
    and its account column when the integration filters by account;
    the whole call is refused when one record is bad, so a product never has to guess which
    half was kept. Within one call, as across calls, the last record of a key wins.
    """
    spec = spec_of(integration)
    filters = integration.config.get("filters") or {}
    filtered = bool(filters.get("allowed_account_ids") or filters.get("restricted_account_ids"))
    _check_count(records, "records")
    latest: dict[str, dict[str, Any]] = {}
    now = utcnow()
    for i, values in enumerate(records):
        if not isinstance(values, dict):
            raise InvalidInput.field(f"records.{i}", "must be an object of column values")
        key = _key(values.get(spec.key_column), f"records.{i}.{spec.key_column}")
        account = values.get(spec.account_column) if spec.account_column else None
        if filtered and spec.account_column not in values:
            raise InvalidInput.field(
                f"records.{i}.{spec.account_column}",
                "is required: this integration filters records by account, and a record "
                "without its account column cannot be filtered (send null for no account)",
            )
        latest.pop(key, None)  # re-insert so the dict keeps the order of the last post
        latest[key] = {
            "integration_id": integration.id,
            "key": key,
            "account_id": _clip_account(account),
            "values": values,
            "received_at": now,
        }
    rows = list(latest.values())
    for start in range(0, len(rows), _CHUNK):
        _upsert(session, rows[start : start + _CHUNK])
    return len(rows)


def _clip_account(value: Any) -> str | None:
    text = key_text(value) if value is not None and not isinstance(value, dict | list) else None
    return text[:MAX_KEY_LENGTH] if text else None


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE, one statement executed for many rows (a batched
    executemany on both databases, far cheaper than compiling one giant VALUES list)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(PushedRecord)
    stmt = stmt.on_conflict_do_update(
        index_elements=["integration_id", "key"],
        set_={
            "account_id": stmt.excluded.account_id,
            "values": stmt.excluded["values"],
            "received_at": stmt.excluded.received_at,
        },
    )
    session.execute(stmt, rows)


def remove(session: Session, integration: Integration, keys: list[Any]) -> int:
    """Forget pushed records by key, so runs no longer see them (mirror mode deletes them
    from Salesforce). Returns how many were stored; unknown keys are not an error, which keeps
    a repeated delete harmless."""
    spec_of(integration)
    _check_count(keys, "keys")
    cleaned = list(dict.fromkeys(_key(k, f"keys.{i}") for i, k in enumerate(keys)))
    removed = 0
    for start in range(0, len(cleaned), _CHUNK):
        result: Any = session.execute(
            delete(PushedRecord).where(
                PushedRecord.integration_id == integration.id,
                PushedRecord.key.in_(cleaned[start : start + _CHUNK]),
            )
        )
        removed += int(result.rowcount or 0)
    return removed


def count(session: Session, integration_id: str) -> int:
    """How many records are stored for the integration."""
    return int(
        session.scalar(
            select(func.count()).select_from(PushedRecord).where(
                PushedRecord.integration_id == integration_id
            )
        )
        or 0
    )
