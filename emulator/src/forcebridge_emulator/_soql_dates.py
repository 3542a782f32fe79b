"""Dates in SOQL: literal parsing, relative date literals as ranges, and comparable keys.

Stored records hold datetimes as Salesforce strings (`2024-01-02T03:04:05.000+0000`) and dates
as `2024-01-02`. Comparing them as canonical UTC strings (`YYYY-MM-DDTHH:MM:SS.mmm`) keeps a
100k-row filter cheap: no datetime object per record on the usual, already-canonical path.

Relative literals follow Salesforce's "Date Formats and Date Literals in WHERE": each names a
range of whole days starting at 00:00:00; `=` means inside it, `<` before its start, `>` after
its end. The emulator's users have no locale, so days are UTC days and weeks start on Sunday
(the en_US default).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_CANONICAL_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(?:\+0000|Z)$")


def datetime_key(value: object) -> str | None:
    """A stored datetime as a sortable UTC string, or None when empty or unreadable."""
    if value is None or value == "":
        return None
    s = str(value)
    if _CANONICAL_RE.match(s):
        return s[:23]
    try:
        parsed = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _format(parsed)


def date_key(value: object) -> str | None:
    """A stored date as `YYYY-MM-DD` (a datetime value keeps only its date part)."""
    if value is None or value == "":
        return None
    return str(value)[:10]


def _format(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def parse_datetime_literal(text: str) -> str:
    """`2024-01-31T10:00:00Z` or `...+01:00` as a canonical UTC key; ValueError if invalid."""
    return _format(datetime.fromisoformat(text.upper().replace("Z", "+00:00")))


def parse_date_literal(text: str) -> str:
    """`2024-01-31`, validated (ValueError for a day that does not exist)."""
    return date.fromisoformat(text).isoformat()


def day_start_key(d: date) -> str:
    return d.isoformat() + "T00:00:00.000"


# ---- relative date literals -----------------------------------------------------------------


def _month_start(d: date, delta: int = 0) -> date:
    m = d.month - 1 + delta
    return date(d.year + m // 12, m % 12 + 1, 1)


def _quarter_start(d: date, delta: int = 0) -> date:
    first = _month_start(d).replace(month=(d.month - 1) // 3 * 3 + 1)
    return _month_start(first, 3 * delta)


def _week_start(d: date, delta: int = 0) -> date:
    # Python: Monday=0 ... Sunday=6; the week starts on Sunday.
    return d - timedelta(days=(d.weekday() + 1) % 7) + timedelta(weeks=delta)


def date_range(name: str, n: int | None, today: date) -> tuple[date, date]:
    """The half-open day range [start, end) that a relative date literal names."""
    n = n or 0
    day = timedelta(days=1)
    if name in ("YESTERDAY", "TODAY", "TOMORROW"):
        start = today + day * {"YESTERDAY": -1, "TODAY": 0, "TOMORROW": 1}[name]
        return start, start + day
    shifts = {"LAST": -1, "THIS": 0, "NEXT": 1}
    head, _, unit = name.partition("_")
    if head in shifts and unit in ("WEEK", "MONTH", "QUARTER", "YEAR"):
        s = shifts[head]
        if unit == "WEEK":
            return _week_start(today, s), _week_start(today, s + 1)
        if unit == "MONTH":
            return _month_start(today, s), _month_start(today, s + 1)
        if unit == "QUARTER":
            return _quarter_start(today, s), _quarter_start(today, s + 1)
        return date(today.year + s, 1, 1), date(today.year + s + 1, 1, 1)
    if name == "LAST_90_DAYS":  # includes today: 91 days
        return today - 90 * day, today + day
    if name == "NEXT_90_DAYS":  # starts tomorrow
        return today + day, today + 91 * day
    if name == "LAST_N_DAYS":  # includes today: LAST_N_DAYS:1 is yesterday and today
        return today - n * day, today + day
    if name == "NEXT_N_DAYS":  # starts tomorrow
        return today + day, today + (n + 1) * day
    if name == "N_DAYS_AGO":
        return today - n * day, today - (n - 1) * day
    unit = next(u for u in ("WEEKS", "MONTHS", "QUARTERS", "YEARS") if u in name)
    step = {
        "WEEKS": lambda k: _week_start(today, k),
        "MONTHS": lambda k: _month_start(today, k),
        "QUARTERS": lambda k: _quarter_start(today, k),
        "YEARS": lambda k: date(today.year + k, 1, 1),
    }[unit]
    if name.startswith("LAST_N_"):  # the n whole units before the current one
        return step(-n), step(0)
    if name.startswith("NEXT_N_"):  # the n whole units after the current one
        return step(1), step(n + 1)
    return step(-n), step(-n + 1)  # N_<UNIT>S_AGO: the one unit n units back


def today_utc(now: datetime | None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date()
