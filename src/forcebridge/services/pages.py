"""Keyset pages: newest first, stable while new rows arrive.

Runs and events are listed newest first and keep arriving while someone pages through them;
an offset would then skip or repeat rows. A cursor names the last row shown (its time and id),
so the next page starts right after it whatever was added meanwhile, and costs an index seek,
not a scan of everything before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from forcebridge.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows; `next_cursor` is None on the last page."""

    items: list[T]
    next_cursor: str | None


def check_limit(limit: int, field: str = "limit") -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.field(field, f"must be between 1 and {MAX_LIMIT}")
    return limit


# A cursor is the last row's time (microseconds since 1970, UTC) and id: plain enough for the
# API schema to state exactly (`CURSOR_PATTERN`), so every cursor it calls valid names a
# position, and still nothing a client needs to take apart.
CURSOR_PATTERN = r"^[0-9]{1,17}\.[0-9a-f]{32}$"  # 17 digits stay far below the year 9999
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(at: datetime, row_id: str) -> str:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return f"{(aware - _EPOCH) // _MICROSECOND}.{row_id}"


def decode_cursor(cursor: str, field: str = "cursor") -> tuple[datetime, str]:
    """The (time, id) a cursor names; a cursor we did not hand out is refused, not guessed."""
    if not _CURSOR.fullmatch(cursor):
        raise InvalidInput.field(field, "not a cursor from a previous page")
    micros, row_id = cursor.split(".")
    return _EPOCH + int(micros) * _MICROSECOND, row_id


def newest_first(
    query: Select[Any],
    at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    *,
    limit: int,
    cursor: str | None,
) -> Select[Any]:
    """`query` ordered newest first, after `cursor`, one row more than `limit` (to know if
    another page follows; `page` drops it)."""
    check_limit(limit)
    if cursor:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(or_(at < after_at, and_(at == after_at, row_id < after_id)))
    return query.order_by(at.desc(), row_id.desc()).limit(limit + 1)


def page(rows: list[T], limit: int, at_of: Any) -> Page[T]:
    """The first `limit` rows and, when more came, the cursor of the last one kept.

    `at_of(row)` gives `(time, id)` of a row.
    """
    if len(rows) <= limit:
        return Page(rows, None)
    kept = rows[:limit]
    at, row_id = at_of(kept[-1])
    return Page(kept, encode_cursor(at, row_id))


SHORT_ID = 12
"""Tables show ids this long (like git and docker); `find_by_id` takes them back."""

MIN_PREFIX = 8


def find_by_id(session: Session, model: Any, tenant_id: str, ref: str) -> Any | None:
    """The tenant's row with id `ref`, or the one row whose id starts with `ref` (at least
    8 characters), so a short id copied from a table works; None if none or several match."""
    ref = ref.strip().lower()
    found = session.get(model, ref) if ref else None
    if found is not None and found.tenant_id == tenant_id:
        return found
    if len(ref) < MIN_PREFIX or not ref.isalnum():
        return None
    rows = list(
        session.scalars(
            select(model).where(model.tenant_id == tenant_id, model.id.startswith(ref)).limit(2)
        )
    )
    return rows[0] if len(rows) == 1 else None
