"""Relative date literals as day ranges, and the keys dates and datetimes compare by.

Ranges follow Salesforce's SOQL reference page "Date Formats and Date Literals in WHERE"
(LAST_N_DAYS:n includes today, "LAST_N_DAYS:1 includes yesterday and today"; NEXT_N_DAYS:n
starts tomorrow; LAST_90_DAYS covers 91 days). Weeks start on Sunday (en_US locale).
"""

from __future__ import annotations

from datetime import date

import pytest

from forcebridge_emulator._soql_dates import (
    date_key,
    date_range,
    datetime_key,
    parse_date_literal,
    parse_datetime_literal,
)

TODAY = date(2024, 5, 15)  # a Wednesday in Q2


@pytest.mark.parametrize(
    ("name", "n", "start", "end"),
    [
        ("TODAY", None, date(2024, 5, 15), date(2024, 5, 16)),
        ("YESTERDAY", None, date(2024, 5, 14), date(2024, 5, 15)),
        ("TOMORROW", None, date(2024, 5, 16), date(2024, 5, 17)),
        ("THIS_WEEK", None, date(2024, 5, 12), date(2024, 5, 19)),
        ("LAST_WEEK", None, date(2024, 5, 5), date(2024, 5, 12)),
        ("NEXT_WEEK", None, date(2024, 5, 19), date(2024, 5, 26)),
        ("THIS_MONTH", None, date(2024, 5, 1), date(2024, 6, 1)),
        ("LAST_MONTH", None, date(2024, 4, 1), date(2024, 5, 1)),
        ("NEXT_MONTH", None, date(2024, 6, 1), date(2024, 7, 1)),
        ("THIS_QUARTER", None, date(2024, 4, 1), date(2024, 7, 1)),
        ("LAST_QUARTER", None, date(2024, 1, 1), date(2024, 4, 1)),
        ("NEXT_QUARTER", None, date(2024, 7, 1), date(2024, 10, 1)),
        ("THIS_YEAR", None, date(2024, 1, 1), date(2025, 1, 1)),
        ("LAST_YEAR", None, date(2023, 1, 1), date(2024, 1, 1)),
        ("NEXT_YEAR", None, date(2025, 1, 1), date(2026, 1, 1)),
        ("LAST_90_DAYS", None, date(2024, 2, 15), date(2024, 5, 16)),
        ("NEXT_90_DAYS", None, date(2024, 5, 16), date(2024, 8, 14)),
        ("LAST_N_DAYS", 1, date(2024, 5, 14), date(2024, 5, 16)),
        ("LAST_N_DAYS", 7, date(2024, 5, 8), date(2024, 5, 16)),
        ("NEXT_N_DAYS", 1, date(2024, 5, 16), date(2024, 5, 17)),
        ("NEXT_N_DAYS", 7, date(2024, 5, 16), date(2024, 5, 23)),
        ("N_DAYS_AGO", 3, date(2024, 5, 12), date(2024, 5, 13)),
        ("LAST_N_WEEKS", 2, date(2024, 4, 28), date(2024, 5, 12)),
        ("NEXT_N_WEEKS", 1, date(2024, 5, 19), date(2024, 5, 26)),
        ("LAST_N_MONTHS", 2, date(2024, 3, 1), date(2024, 5, 1)),
        ("NEXT_N_MONTHS", 8, date(2024, 6, 1), date(2025, 2, 1)),
        ("N_MONTHS_AGO", 5, date(2023, 12, 1), date(2024, 1, 1)),
        ("LAST_N_QUARTERS", 2, date(2023, 10, 1), date(2024, 4, 1)),
        ("NEXT_N_YEARS", 2, date(2025, 1, 1), date(2027, 1, 1)),
        ("N_YEARS_AGO", 1, date(2023, 1, 1), date(2024, 1, 1)),
    ],
)
def test_date_literal_ranges(name: str, n: int | None, start: date, end: date) -> None:
    assert date_range(name, n, TODAY) == (start, end)


def test_week_containing_sunday_starts_that_day() -> None:
    sunday = date(2024, 5, 12)
    assert date_range("THIS_WEEK", None, sunday) == (sunday, date(2024, 5, 19))


def test_year_boundaries() -> None:
    jan = date(2024, 1, 10)
    assert date_range("LAST_MONTH", None, jan) == (date(2023, 12, 1), date(2024, 1, 1))
    assert date_range("LAST_QUARTER", None, jan) == (date(2023, 10, 1), date(2024, 1, 1))
    dec = date(2024, 12, 31)
    assert date_range("NEXT_MONTH", None, dec) == (date(2025, 1, 1), date(2025, 2, 1))


def test_datetime_literals_become_utc_keys() -> None:
    assert parse_datetime_literal("2024-01-31T10:00:00Z") == "2024-01-31T10:00:00.000"
    assert parse_datetime_literal("2024-01-31T10:00:00+02:00") == "2024-01-31T08:00:00.000"
    assert parse_datetime_literal("2024-01-31T22:30:00-08:00") == "2024-02-01T06:30:00.000"
    assert parse_datetime_literal("2024-01-31T10:00:00.250Z") == "2024-01-31T10:00:00.250"


def test_invalid_calendar_values_are_rejected() -> None:
    with pytest.raises(ValueError):
        parse_date_literal("2024-02-30")
    with pytest.raises(ValueError):
        parse_datetime_literal("2024-01-31T25:00:00Z")


def test_stored_values_as_keys() -> None:
    assert datetime_key("2024-01-02T03:04:05.000+0000") == "2024-01-02T03:04:05.000"
    assert datetime_key("2024-01-02T03:04:05.000+0100") == "2024-01-02T02:04:05.000"
    assert datetime_key(None) is None and datetime_key("") is None
    assert datetime_key("not a date") is None
    assert date_key("2024-01-02") == "2024-01-02"
    assert date_key(None) is None
