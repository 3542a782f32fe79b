"""Every transform directly: formats, time zones and DST, rounding, bad values.

Formats follow Salesforce's "Valid Date and DateTime Formats"
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_valid_date_formats.htm):
date yyyy-MM-dd, dateTime yyyy-MM-ddTHH:mm:ss.SSS with an offset; we always send UTC (+0000).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from forcebridge.sync import transforms as tf
from forcebridge.sync.transforms import TransformError


def reason(convert: tf.Convert, value: object) -> str:
    with pytest.raises(TransformError) as info:
        convert(value)
    return info.value.reason


# --- datetime -----------------------------------------------------------------------------

def test_naive_datetime_in_source_zone_becomes_utc() -> None:
    convert = tf.to_datetime("Europe/Berlin")
    assert convert(datetime(2024, 1, 31, 11, 0)) == "2024-01-31T10:00:00.000+0000"  # CET +1
    assert convert(datetime(2024, 7, 31, 12, 0)) == "2024-07-31T10:00:00.000+0000"  # CEST +2
    assert convert("2024-01-31T11:00:00") == "2024-01-31T10:00:00.000+0000"
    assert convert("2024-01-31 11:00") == "2024-01-31T10:00:00.000+0000"


def test_utc_zone_and_milliseconds() -> None:
    convert = tf.to_datetime("UTC")
    assert convert("2024-01-31T10:00:00") == "2024-01-31T10:00:00.000+0000"
    # sub-millisecond digits are dropped, not rounded up into the next millisecond
    assert convert(datetime(2024, 1, 31, 10, 0, 0, 123999)) == "2024-01-31T10:00:00.123+0000"


def test_aware_values_keep_their_instant_whatever_the_source_zone() -> None:
    convert = tf.to_datetime("Asia/Tokyo")
    assert convert("2024-01-31T10:00:00Z") == "2024-01-31T10:00:00.000+0000"
    assert convert("2024-01-31T12:00:00+02:00") == "2024-01-31T10:00:00.000+0000"
    aware = datetime(2024, 1, 31, 5, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert convert(aware) == "2024-01-31T10:00:00.000+0000"


def test_date_only_text_is_local_midnight() -> None:
    assert tf.to_datetime("America/New_York")("2024-01-31") == "2024-01-31T05:00:00.000+0000"
    assert tf.to_datetime("America/New_York")(date(2024, 7, 1)) == "2024-07-01T04:00:00.000+0000"


def test_datetime_crossing_the_utc_date_line() -> None:
    convert = tf.to_datetime("Pacific/Auckland")  # NZDT +13 in January
    assert convert("2024-01-01T09:00:00") == "2023-12-31T20:00:00.000+0000"


def test_dst_gap_is_an_error() -> None:
    # 2024-03-10 02:00 -> 03:00 in New York; 2024-03-31 02:00 -> 03:00 in Berlin
    assert "does not exist" in reason(tf.to_datetime("America/New_York"), "2024-03-10 02:30:00")
    assert "DST gap" in reason(tf.to_datetime("Europe/Berlin"), "2024-03-31 02:30:00")
    # either side of the gap is fine
    assert tf.to_datetime("America/New_York")("2024-03-10 01:59:00") == "2024-03-10T06:59:00.000+0000"
    assert tf.to_datetime("America/New_York")("2024-03-10 03:00:00") == "2024-03-10T07:00:00.000+0000"


def test_dst_ambiguous_time_earlier_later_or_error() -> None:
    # 2024-11-03 01:30 happens twice in New York: EDT (-4) then EST (-5)
    text = "2024-11-03 01:30:00"
    assert tf.to_datetime("America/New_York")(text) == "2024-11-03T05:30:00.000+0000"
    assert tf.to_datetime("America/New_York", ambiguous="later")(text) == "2024-11-03T06:30:00.000+0000"
    assert "ambiguous" in reason(tf.to_datetime("America/New_York", ambiguous="error"), text)
    # Berlin 2024-10-27 02:30: CEST (+2) then CET (+1)
    assert tf.to_datetime("Europe/Berlin")("2024-10-27 02:30") == "2024-10-27T00:30:00.000+0000"
    assert tf.to_datetime("Europe/Berlin", ambiguous="later")("2024-10-27 02:30") == "2024-10-27T01:30:00.000+0000"


def test_wall_times_outside_transitions_take_the_zone_offset() -> None:
    assert tf.to_datetime("Europe/Berlin")("2024-05-01 12:00") == "2024-05-01T10:00:00.000+0000"
    assert tf.to_datetime("Europe/Berlin")("2024-01-01 00:00:00.123456") \
        == "2023-12-31T23:00:00.123+0000"
    assert tf.to_datetime("UTC")("0999-01-01 00:00") == "0999-01-01T00:00:00.000+0000"


def test_one_converter_across_transition_days_keeps_gaps_and_repeats_apart() -> None:
    # one converter remembers each day's offset: transition days must still be seen per time
    convert = tf.to_datetime("America/New_York", ambiguous="error")
    assert convert("2024-03-09 02:30") == "2024-03-09T07:30:00.000+0000"  # EST, a day before
    assert "does not exist" in reason(convert, "2024-03-10 02:30")
    assert convert("2024-03-10 01:59") == "2024-03-10T06:59:00.000+0000"
    assert convert("2024-03-10 03:00") == "2024-03-10T07:00:00.000+0000"  # EDT
    assert convert("2024-11-03 00:30") == "2024-11-03T04:30:00.000+0000"
    assert "ambiguous" in reason(convert, "2024-11-03 01:30")
    assert convert("2024-11-03 02:30") == "2024-11-03T07:30:00.000+0000"  # EST again
    # Lord Howe Island moves by 30 minutes
    howe = tf.to_datetime("Australia/Lord_Howe")
    assert howe("2024-04-06 12:00") == "2024-04-06T01:00:00.000+0000"  # +11
    assert howe("2024-04-08 12:00") == "2024-04-08T01:30:00.000+0000"  # +10:30


def test_datetime_with_format() -> None:
    convert = tf.to_datetime("Europe/London", fmt="%d/%m/%Y %H:%M")
    assert convert("31/07/2024 11:00") == "2024-07-31T10:00:00.000+0000"  # BST +1
    assert "format '%d/%m/%Y %H:%M'" in reason(convert, "2024-07-31 11:00")


def test_datetime_text_with_spaces_or_aware_is_read_like_plain_iso_text() -> None:
    convert = tf.to_datetime("Europe/London")
    assert convert(" 2024-07-31 11:00:00 ") == convert("2024-07-31 11:00:00") \
        == "2024-07-31T10:00:00.000+0000"
    assert convert("2024-07-31T11:00:00+02:00") == "2024-07-31T09:00:00.000+0000"


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01T00:00:00", "", 12345, 1.5, True])
def test_bad_datetimes(bad: object) -> None:
    assert "not a date/time" in reason(tf.to_datetime("UTC"), bad)


# --- date ---------------------------------------------------------------------------------

def test_dates() -> None:
    convert = tf.to_date()
    assert convert(date(2024, 1, 31)) == "2024-01-31"
    assert convert("2024-01-31") == "2024-01-31"
    assert convert(" 2024-01-31 ") == "2024-01-31"
    assert convert(datetime(2024, 1, 31, 23, 59)) == "2024-01-31"
    assert convert("2024-01-31T23:59:00") == "2024-01-31"


def test_aware_datetime_to_date_takes_the_day_in_the_source_zone() -> None:
    instant = datetime(2024, 1, 31, 23, 30, tzinfo=UTC)
    assert tf.to_date("Europe/Berlin")(instant) == "2024-02-01"
    assert tf.to_date("America/New_York")(instant) == "2024-01-31"
    assert tf.to_date()(instant) == "2024-01-31"


def test_date_with_format_and_bad_dates() -> None:
    assert tf.to_date(fmt="%d.%m.%Y")("31.01.2024") == "2024-01-31"
    assert "not a date in ISO 8601" in reason(tf.to_date(), "2024-02-30")
    assert "not a date/time" in reason(tf.to_date(), "31/01/2024 10:00")
    assert "not a date/time" in reason(tf.to_date(), 20240131)


# --- numbers ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        ("2.675", 2, 2.68),  # half-up, where binary float rounding would give 2.67
        (2.675, 2, 2.68),
        ("2.665", 2, 2.67),
        ("-2.675", 2, -2.68),  # half-up rounds away from zero
        ("0.5", 0, 1),
        ("1.5", 0, 2),
        ("2.5", 0, 3),  # not banker's rounding
        ("-0.5", 0, -1),
        (Decimal("10.005"), 2, 10.01),
        (7, 2, 7.0),
        ("1e3", 0, 1000),
        (" 12.3456 ", 3, 12.346),
    ],
)
def test_number_scale_rounds_half_up(value: object, scale: int, expected: float) -> None:
    result = tf.to_number(scale)(value)
    assert result == expected
    assert type(result) is (int if scale == 0 else float)


def test_number_without_scale_keeps_the_value() -> None:
    convert = tf.to_number()
    assert convert(42) == 42 and type(convert(42)) is int
    assert convert("12.50") == 12.5
    assert convert("12.0") == 12 and type(convert("12.0")) is int
    assert convert(Decimal("0.1")) == 0.1


def test_number_precision() -> None:
    convert = tf.to_number(scale=2, precision=5)  # at most 999.99
    assert convert("999.994") == 999.99
    assert "more than 3 digits" in reason(convert, "999.995")  # rounds to 1000.00
    assert "precision 5, scale 2" in reason(convert, 12345)


@pytest.mark.parametrize("bad", ["abc", "", "1,5", "NaN", "Infinity", float("nan"), True, [1]])
def test_bad_numbers(bad: object) -> None:
    assert "number" in reason(tf.to_number(2), bad)


# --- booleans -----------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["true", "TRUE", "yes", "Yes", "y", "Y", "1", " true ", 1, True])
def test_true_words(word: object) -> None:
    assert tf.to_boolean()(word) is True


@pytest.mark.parametrize("word", ["false", "False", "no", "NO", "n", "0", 0, False])
def test_false_words(word: object) -> None:
    assert tf.to_boolean()(word) is False


@pytest.mark.parametrize("bad", ["maybe", "", "2", 2, "t", 1.0])
def test_bad_booleans(bad: object) -> None:
    assert "not a boolean" in reason(tf.to_boolean(), bad)


# --- text ---------------------------------------------------------------------------------

def test_text_from_other_types() -> None:
    convert = tf.to_text()
    assert convert("abc") == "abc"
    assert convert(12) == "12"
    assert convert(12.0) == "12"
    assert convert(12.5) == "12.5"
    assert convert(Decimal("1.10")) == "1.10"
    assert convert(True) == "true"
    assert convert(date(2024, 1, 31)) == "2024-01-31"
    assert convert(datetime(2024, 1, 31, 10, tzinfo=UTC)) == "2024-01-31T10:00:00.000+0000"
    assert "not text" in reason(convert, {"a": 1})


def test_text_length_is_an_error_unless_truncating() -> None:
    assert tf.to_text(5)("12345") == "12345"
    assert "6 characters, the field allows 5" in reason(tf.to_text(5), "123456")
    assert tf.to_text(5, truncate=True)("123456789") == "12345"
    assert tf.to_text(5, strip=True)("  abc  ") == "abc"


# --- value maps ---------------------------------------------------------------------------

def test_value_map() -> None:
    convert = tf.to_value_map({"g": "Gold", "1": "One", "true": "Yes"})
    assert convert("g") == "Gold"
    assert convert(1) == "One"
    assert convert(True) == "Yes"
    assert "no value mapped for 'G'" in reason(convert, "G")


def test_value_map_options() -> None:
    assert tf.to_value_map({"g": "Gold"}, case_sensitive=False)("G") == "Gold"
    assert tf.to_value_map({"g": "Gold"}, default="Other")("x") == "Other"
    assert tf.to_value_map({"g": "Gold"}, passthrough=True)("Silver") == "Silver"


# --- raw ----------------------------------------------------------------------------------

def test_raw() -> None:
    convert = tf.to_raw()
    assert convert("a") == "a" and convert(3) == 3 and convert(1.5) == 1.5 and convert(False) is False
    assert convert(Decimal("2.50")) == 2.5
    assert convert(date(2024, 1, 31)) == "2024-01-31"
    assert convert(datetime(2024, 1, 31, 10, tzinfo=UTC)) == "2024-01-31T10:00:00.000+0000"
    assert "datetime transform" in reason(convert, datetime(2024, 1, 31, 10))
    assert "cannot send bytes" in reason(convert, b"x")
    assert "finite" in reason(convert, float("inf"))
