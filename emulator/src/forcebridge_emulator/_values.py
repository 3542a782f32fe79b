"""Turning a client's value into what the org stores, or saying no the way Salesforce does.

`coercer(field)` builds, once per field, a function that takes a JSON-decoded value (never
None: nulls are the caller's business) and returns the stored value or raises `BadValue`
carrying the SaveError an org would report. Bulk API CSV cells go through `csv_record`
first, which only decides what a cell means (empty = not set, `#N/A` = null) and leaves the
type checks to the same coercers.

Stored forms follow what a record GET returns: dates `2010-01-01`, datetimes
`2017-04-25T15:17:55.000+0000`, numbers as int/float, multipicklists `"a;b"`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from forcebridge_emulator import _ids as ids
from forcebridge_emulator._errors import SaveError
from forcebridge_emulator._schema import FieldDef

Coercer = Callable[[Any], Any]

_TEXT_TYPES = frozenset(
    {"string", "textarea", "phone", "url", "email", "encryptedstring", "combobox", "time"}
)
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


class BadValue(Exception):
    """A value the org refuses; `error` is the SaveError to report."""

    def __init__(self, error: SaveError) -> None:
        super().__init__(error.message)
        self.error = error


def now_string() -> str:
    return format_datetime(datetime.now(UTC))


def format_datetime(dt: datetime) -> str:
    """Salesforce's wire form: UTC, milliseconds, `+0000`."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    """The ISO 8601 forms Salesforce accepts for a dateTime (`Z`, `+0000`, `+00:00`,
    optional seconds and fractions; a bare date means midnight UTC)."""
    m = _DATETIME_RE.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro)
    except ValueError:
        return None
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return dt.replace(tzinfo=timezone(sign * offset))
    return dt.replace(tzinfo=UTC)


def _type_error(f: FieldDef, value: Any) -> BadValue:
    return BadValue(
        SaveError(
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            f"{f.label}: value not of required type: {_show(value)}",
            [f.name],
        )
    )


def _show(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _text(f: FieldDef) -> Coercer:
    limit = f.length
    email = f.type == "email"
    label, name = f.label, f.name

    def coerce(value: Any) -> Any:
        if value == "":
            return None  # Salesforce stores an empty text value as null
        if type(value) is not str:
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int | float):
                value = _show(value)
            else:
                raise _type_error(f, value)
        if limit and len(value) > limit:
            raise BadValue(
                SaveError(
                    "STRING_TOO_LONG",
                    f"{label}: data value too large: {value} (max length={limit})",
                    [name],
                )
            )
        if email and value and not _EMAIL_RE.match(value):
            raise BadValue(
                SaveError(
                    "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {value}", [name]
                )
            )
        return value

    return coerce


def _picklist(f: FieldDef) -> Coercer:
    text = _text(f)
    allowed = f.active_picklist
    restricted = f.restricted_picklist
    multi = f.type == "multipicklist"

    def bad(item: str) -> BadValue:
        return BadValue(
            SaveError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{f.label}: bad value for restricted picklist field: {item}",
                [f.name],
            )
        )

    def coerce(value: Any) -> Any:
        value = text(value)
        if restricted and value is not None:
            items = value.split(";") if multi else [value]
            for item in items:
                if item not in allowed:
                    raise bad(item)
        return value

    return coerce


def _boolean(f: FieldDef) -> Coercer:
    def coerce(value: Any) -> Any:
        if value is True or value is False:
            return value
        if value == "":
            return None  # null: the record keeps false
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "1"):
                return True
            if low in ("false", "0"):
                return False
        raise _type_error(f, value)

    return coerce


def _number(f: FieldDef) -> Coercer:
    is_int = f.type == "int"
    scale = f.scale
    # Digits allowed left of the decimal point: precision - scale (digits for int).
    max_int_digits = (f.digits or 18) if is_int else (f.precision - f.scale if f.precision else 0)
    bound = 10**max_int_digits if max_int_digits else 0

    def out_of_range(value: Any) -> BadValue:
        return BadValue(
            SaveError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{f.label}: value outside of valid range on numeric field: {_show(value)}",
                [f.name],
            )
        )

    def parse(value: str) -> int | float:
        s = value.strip()
        if is_int:
            try:
                return int(s)
            except ValueError:
                pass
        if "_" in s or not _NUMBER_RE.match(s):
            raise _type_error(f, value)
        return float(s)

    def coerce(value: Any) -> Any:
        t = type(value)
        if t is str:
            if value == "":
                return None
            value = parse(value)
            t = type(value)
        elif t is bool or (t is not int and t is not float):
            raise _type_error(f, value)
        if t is float:
            if not math.isfinite(value):
                raise _type_error(f, value)
            if is_int:
                if value != int(value):
                    raise _type_error(f, value)
                value = int(value)
            else:
                rounded = round(value, scale)
                # Salesforce rounds half up; only values with extra decimals need Decimal.
                value = rounded if rounded == value else _half_up(value, scale)
        elif not is_int:
            value = float(value)
        if bound and (value >= bound or value <= -bound):
            raise out_of_range(value)
        return value

    return coerce


def _half_up(value: float, scale: int) -> float:
    q = Decimal(1).scaleb(-scale)
    return float(Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_UP))


def _date(f: FieldDef) -> Coercer:
    def coerce(value: Any) -> Any:
        if value == "":
            return None
        if isinstance(value, str):
            if _DATE_RE.match(value):
                try:
                    date.fromisoformat(value)
                    return value
                except ValueError:
                    pass
            dt = parse_datetime(value)
            if dt is not None and "T" in value:
                return dt.date().isoformat()
        raise _type_error(f, value)

    return coerce


def _datetime(f: FieldDef) -> Coercer:
    def coerce(value: Any) -> Any:
        if value == "":
            return None
        if isinstance(value, str):
            dt = parse_datetime(value.strip())
            if dt is not None:
                return format_datetime(dt)
        raise _type_error(f, value)

    return coerce


def _reference(f: FieldDef) -> Coercer:
    """Shape only: whether the id points at a live record of the right type is the org's
    check (it needs the data)."""

    def coerce(value: Any) -> Any:
        if isinstance(value, str):
            if value == "":
                return None
            norm = ids.normalize(value)
            if norm is not None:
                return norm
        raise BadValue(
            SaveError(
                "MALFORMED_ID", f"{f.label}: id value of incorrect type: {_show(value)}", [f.name]
            )
        )

    return coerce


def _passthrough(f: FieldDef) -> Coercer:
    def coerce(value: Any) -> Any:
        if isinstance(value, dict | list):
            raise _type_error(f, value)
        return value

    return coerce


def coercer(f: FieldDef) -> Coercer:
    """The write-path converter for one field; build once, call per value."""
    t = f.type
    if t in ("picklist", "multipicklist"):
        return _picklist(f)
    if t in _TEXT_TYPES:
        return _text(f)
    if t == "boolean":
        return _boolean(f)
    if t in ("int", "double", "currency", "percent"):
        return _number(f)
    if t == "date":
        return _date(f)
    if t == "datetime":
        return _datetime(f)
    if t in ("reference", "id"):
        return _reference(f)
    return _passthrough(f)


def coerce_value(f: FieldDef, value: Any) -> Any:
    """One-off coercion (tests, key values); None stays None."""
    return None if value is None else coercer(f)(value)


# --- Bulk API 2.0 CSV -------------------------------------------------------------------

NULL_MARKER = "#N/A"


def csv_record(header: list[str], row: list[str]) -> dict[str, Any]:
    """The values dict one CSV row means, ready for `Org.insert/update/upsert`.

    Bulk 2.0 rules: an empty cell sets nothing (so an update leaves the field alone), `#N/A`
    sets null. `Account.External_Id__c` style headers become nested relationship values
    (`{"Account": {"External_Id__c": "X"}}`), which the org resolves like REST does. Type
    conversion is the coercers' job: they accept the strings CSV carries ("true", "12.5",
    "2010-01-01", "2010-01-01T00:00:00Z").
    """
    out: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=False):
        if cell == "":
            continue
        value = None if cell == NULL_MARKER else cell
        if "." in name:
            rel, _, key = name.partition(".")
            if value is not None:
                out[rel] = {key: value}
            continue
        out[name] = value
    return out


def csv_value(f: FieldDef, cell: str) -> Any:
    """One CSV cell coerced for `f`: None for `#N/A` or empty, else the stored value."""
    if cell in ("", NULL_MARKER):
        return None
    return coercer(f)(cell)


def required_missing(names: list[str]) -> SaveError:
    return SaveError(
        "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(names)}]", names
    )
