"""Value conversions from source values to the JSON Salesforce expects, one factory each.

Each factory takes a transform's options once and returns a plain function `value -> JSON
value` that raises `TransformError(reason)`; the mapper calls these per record, so they avoid
per-call setup. `None` never reaches them: the mapper turns it into JSON null itself.

Formats are Salesforce's REST formats: date "2024-01-31", datetime in UTC with milliseconds
"2024-01-31T10:00:00.000+0000" (sub-millisecond digits are dropped, as Salesforce stores ms).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

Convert = Callable[[Any], Any]

TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


class TransformError(ValueError):
    """A value the transform cannot convert; `reason` says why in the user's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _sf_utc(naive_utc: datetime) -> str:
    return naive_utc.isoformat(timespec="milliseconds") + "+0000"


def sf_datetime(value: datetime) -> str:
    """An aware datetime in Salesforce's UTC form, "2024-01-31T10:00:00.000+0000"."""
    return _sf_utc(value.astimezone(UTC).replace(tzinfo=None))


def _offset(naive: datetime, zone: tzinfo, ambiguous: str) -> timedelta:
    """The UTC offset of a wall-clock time in `zone`, refusing times DST makes ambiguous.

    A time inside the spring-forward gap does not exist and is always an error; a time the
    fall-back repeats takes the earlier or later instant, or is an error, per `ambiguous`.
    """
    first = naive.replace(tzinfo=zone).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    assert first is not None and second is not None  # a tzinfo zone always has one
    if first == second:
        return first
    if _wall(naive - first, zone) != naive:
        raise TransformError(f"{naive.isoformat(sep=' ')} does not exist in {zone} (DST gap)")
    if ambiguous == "error":
        raise TransformError(f"{naive.isoformat(sep=' ')} is ambiguous in {zone} (DST end)")
    return first if ambiguous == "earlier" else second


def _wall(naive_utc: datetime, zone: tzinfo) -> datetime:
    return naive_utc.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def _parse_datetime(value: Any, fmt: str | None) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise TransformError(f"not a date/time: {_show(value)}")
    text = value.strip()
    try:
        return datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        expected = f"format {fmt!r}" if fmt else "ISO 8601"
        raise TransformError(f"not a date/time in {expected}: {_show(value)}") from None


def _steady_offset(day: date, zone: tzinfo) -> timedelta | None:
    """The zone's one UTC offset all day long, or None when the day has a DST transition
    (different offsets at its start and end, or a start or end that is a gap or a repeat)."""
    start = datetime(day.year, day.month, day.day)
    end = start + timedelta(days=1, microseconds=-1)
    offsets = {t.replace(tzinfo=zone, fold=f).utcoffset() for t in (start, end) for f in (0, 1)}
    found = offsets.pop()
    return found if not offsets else None


_NOT_YET: Any = object()


def to_datetime(timezone: str, fmt: str | None = None, ambiguous: str = "earlier") -> Convert:
    """Datetimes (objects or text); naive ones are wall-clock times in `timezone`."""
    zone = ZoneInfo(timezone)
    iso = fmt is None
    # most days have one offset throughout: looked up once per day, not twice per value
    steady: dict[date, timedelta | None] = {}

    def convert(value: Any) -> str:
        try:  # the common value first: ISO text with nothing to strip
            parsed = datetime.fromisoformat(value) if iso and value.__class__ is str \
                else _parse_datetime(value, fmt)
        except ValueError:
            parsed = _parse_datetime(value, fmt)
        if parsed.tzinfo is None:  # straight to UTC: no aware datetime in between
            day = parsed.date()
            offset = steady.get(day, _NOT_YET)
            if offset is _NOT_YET:
                if len(steady) >= 4096:
                    steady.clear()
                offset = steady[day] = _steady_offset(day, zone)
            if offset is None:
                offset = _offset(parsed, zone, ambiguous)
            return _sf_utc(parsed - offset)
        return sf_datetime(parsed)

    return convert


def to_date(timezone: str | None = None, fmt: str | None = None) -> Convert:
    """Dates; an aware datetime is first moved into `timezone` (the day there)."""
    zone = ZoneInfo(timezone) if timezone else None

    def convert(value: Any) -> str:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str) and fmt is None and len(value.strip()) == 10:
            try:
                return date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                raise TransformError(f"not a date in ISO 8601: {_show(value)}") from None
        parsed = _parse_datetime(value, fmt)
        if parsed.tzinfo is not None and zone is not None:
            parsed = parsed.astimezone(zone)
        return parsed.date().isoformat()

    return convert


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TransformError(f"not a number: {_show(value)}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr gives the shortest text that round-trips, so 2.675 rounds like the user wrote it
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise TransformError(f"not a number: {_show(value)}") from None
    else:
        raise TransformError(f"not a number: {_show(value)}")
    if not result.is_finite():
        raise TransformError(f"not a finite number: {_show(value)}")
    return result


def to_number(scale: int | None = None, precision: int | None = None) -> Convert:
    """Numbers rounded half-up to `scale` decimals, checked against `precision` digits.

    Scale 0 (Salesforce `int` fields) gives a JSON integer; otherwise a JSON number (float),
    exact for the 15 significant digits a double holds.
    """
    quantum = Decimal(1).scaleb(-scale) if scale is not None else None
    digits = precision - (scale or 0) if precision is not None else None
    limit = Decimal(10) ** digits if digits is not None else None

    def convert(value: Any) -> int | float:
        if type(value) is int and limit is None and (scale is None or scale == 0):
            return value
        if type(value) is float and math.isfinite(value):  # `_decimal`'s, its checks passed
            number = Decimal(repr(value))
        else:
            number = _decimal(value)
        if quantum is not None:
            number = number.quantize(quantum, rounding=ROUND_HALF_UP)
        if limit is not None and abs(number) >= limit:
            raise TransformError(
                f"{number} has more than {digits} digits before the "
                f"decimal point (precision {precision}, scale {scale or 0})"
            )
        if scale == 0 or (scale is None and number == number.to_integral_value()):
            return int(number)
        return float(number)

    return convert


def to_boolean() -> Convert:
    """true/false, yes/no, y/n, 1/0 in any case; Python bools and the ints 0/1."""

    def convert(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return value == 1
        if isinstance(value, str):
            word = value.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        raise TransformError(f"not a boolean (true/false, yes/no, y/n, 1/0): {_show(value)}")

    return convert


def as_text(value: Any) -> str:
    """The text form of a source value: booleans as true/false, dates in ISO 8601."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return sf_datetime(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    raise TransformError(f"not text: {_show(value)}")


def to_text(max_length: int | None = None, truncate: bool = False, strip: bool = False) -> Convert:
    """Text, at most `max_length` characters: longer is an error unless `truncate`."""

    def convert(value: Any) -> str:
        text = value if type(value) is str else as_text(value)
        if strip:
            text = text.strip()
        if max_length is not None and len(text) > max_length:
            if truncate:
                return text[:max_length]
            raise TransformError(
                f"text is {len(text)} characters, the field allows {max_length} "
                "(enable truncate to cut it)"
            )
        return text

    return convert


def to_value_map(
    values: Mapping[str, str],
    default: str | None = None,
    passthrough: bool = False,
    case_sensitive: bool = True,
) -> Convert:
    """Source values to picklist values through a table."""
    table = dict(values) if case_sensitive else {k.lower(): v for k, v in values.items()}

    def convert(value: Any) -> str:
        key = as_text(value)
        found = table.get(key if case_sensitive else key.lower())
        if found is not None:
            return found
        if default is not None:
            return default
        if passthrough:
            return key
        raise TransformError(f"no value mapped for {_show(value)}")

    return convert


def to_raw() -> Convert:
    """The value as JSON: scalars unchanged; dates, aware datetimes and Decimals converted."""

    def convert(value: Any) -> Any:
        if isinstance(value, str | bool | int):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise TransformError(f"not a finite number: {_show(value)}")
            return value
        if isinstance(value, Decimal):
            return to_number()(value)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise TransformError("datetime without a time zone needs a datetime transform")
            return sf_datetime(value)
        if isinstance(value, date):
            return value.isoformat()
        raise TransformError(f"cannot send {type(value).__name__} as JSON: {_show(value)}")

    return convert
