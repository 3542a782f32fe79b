"""A cron schedule in plain words ("every hour at :07 UTC"), for people reading a schedule.

Pure: the common shapes get a sentence; anything else is named as cron with its next times.
"""

from __future__ import annotations

from datetime import datetime

from croniter import croniter

DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def _num(field: str, low: int, high: int) -> int | None:
    return int(field) if field.isdigit() and low <= int(field) <= high else None


def _days(field: str) -> str | None:
    if field in ("1-5", "MON-FRI", "mon-fri"):
        return "every weekday (Monday to Friday)"
    names = []
    for part in field.split(","):
        day = _num(part, 0, 7)
        if day is None:
            return None
        names.append(DAYS[day % 7])
    return "every " + (" and ".join(names) if len(names) < 3 else ", ".join(names))


def in_words(expression: str) -> str:
    """`expression` (5 fields, UTC) in words; the caller has validated it."""
    fields = expression.split()
    if len(fields) != 5:
        return f"cron {expression} (UTC)"
    minute, hour, dom, month, dow = fields
    m = _num(minute, 0, 59)
    h = _num(hour, 0, 23)
    every_day = dom == "*" and month == "*"
    if every_day and dow == "*":
        if minute == "*" and hour == "*":
            return "every minute"
        if minute.startswith("*/") and hour == "*" and minute[2:].isdigit():
            return f"every {int(minute[2:])} minutes"
        if m is not None and hour == "*":
            return f"every hour at :{m:02d} UTC"
        if m is not None and hour.startswith("*/") and hour[2:].isdigit():
            return f"every {int(hour[2:])} hours at :{m:02d} UTC"
        if m is not None and h is not None:
            return f"every day at {h:02d}:{m:02d} UTC"
    if every_day and m is not None and h is not None:
        days = _days(dow)
        if days:
            return f"{days} at {h:02d}:{m:02d} UTC"
    d = _num(dom, 1, 31)
    if d is not None and month == "*" and dow == "*" and m is not None and h is not None:
        return f"on day {d} of every month at {h:02d}:{m:02d} UTC"
    return f"cron {expression} (UTC)"


def next_times(expression: str, after: datetime, count: int = 3) -> list[datetime]:
    """The schedule's next `count` times after `after`, to show beside the words."""
    it = croniter(expression, after)
    return [it.get_next(datetime) for _ in range(count)]
