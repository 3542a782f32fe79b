"""Where an incremental SQL source left off, between runs (`SqlSourceSpec.cursor_column`).

A run of a source with a cursor column reads only the rows whose cursor value is at least
the highest one the last complete run read. That is only sound while everything else that
decides a payload is the same, so the stored value carries a fingerprint of the mapping
fingerprint (spec, mode, describe), the source (database, table or query, columns) and the
filters; when any of it changes the next run reads every row again. It is kept per org, like
the sync state: another org starts by reading every row. The value moves only
after a run read its source to the end and no record failed: a rejected record is read (and
tried) again by the next run, as it would be without a cursor.

Values are kept as the driver gave them, tagged with their type in JSON, so they bind back
to the same comparison the database made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from forcebridge import log
from forcebridge.sources.sql import SqlDatabase, SqlSourceSpec, display_url
from forcebridge.store.db import Database
from forcebridge.store.sync_state import SyncCursor
from forcebridge.store.types import utcnow
from forcebridge.sync.config import EntitySyncConfig

_logger = log.get("runs.cursor")


def fingerprint(config: EntitySyncConfig, database: SqlDatabase, mapping_fingerprint: str) -> str:
    """What the stored cursor value is valid for: the source's database too, so a data
    source pointed at another database starts over (the URL's password is left out)."""
    source = config.source
    assert isinstance(source, SqlSourceSpec)
    facts = {
        "mapping": mapping_fingerprint,
        "source": {**source.model_dump(mode="json"),
                   "url": display_url(database.url.get_secret_value())},
        "filters": config.filters.model_dump(mode="json"),
    }
    blob = orjson.dumps(facts, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def encode(value: Any) -> dict[str, str] | None:
    """A cursor value as tagged JSON; None for a type kept nowhere (the run then reads every
    row next time, as without a cursor)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {"type": "date", "value": value.isoformat()}
    for kind, cls in (("text", str), ("int", int), ("decimal", Decimal)):
        if isinstance(value, cls):
            return {"type": kind, "value": str(value)}
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}
    return None


_DECODE: dict[str, Callable[[str], Any]] = {
    "datetime": datetime.fromisoformat, "date": date.fromisoformat, "text": str, "int": int,
    "decimal": Decimal, "float": float,
}


def decode(stored: dict[str, str]) -> Any:
    return _DECODE[stored["type"]](stored["value"])


def load(db: Database, integration_id: str, org_id: str, current: str) -> Any:
    """The value to read from, or None (read every row) when none is stored or the stored one
    was taken under another fingerprint."""
    with db.session() as session:
        row = session.get(SyncCursor, (integration_id, org_id))
        if row is None or row.fingerprint != current:
            return None
        return decode(row.value)


def save(
    db: Database, integration_id: str, org_id: str, current: str, value: Any, run_id: str
) -> bool:
    """Keep `value` as where the next run starts; False when its type cannot be kept."""
    encoded = encode(value)
    if encoded is None:
        log.event(_logger, "cursor value not kept: its type cannot be stored",
                  type=type(value).__name__, run_id=run_id)
        return False
    with db.begin() as session:
        row = session.get(SyncCursor, (integration_id, org_id))
        if row is None:
            session.add(SyncCursor(integration_id=integration_id, org_id=org_id,
                                   fingerprint=current,
                                   value=encoded, run_id=run_id))
        else:
            row.fingerprint, row.value, row.run_id = current, encoded, run_id
            row.updated_at = utcnow()
    return True
