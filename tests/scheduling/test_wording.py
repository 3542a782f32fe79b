"""Schedules in plain words: the common shapes read as sentences, the rest as cron."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from forcebridge.scheduling.wording import in_words, next_times


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("7 * * * *", "every hour at :07 UTC"),
        ("* * * * *", "every minute"),
        ("*/15 * * * *", "every 15 minutes"),
        ("30 */6 * * *", "every 6 hours at :30 UTC"),
        ("0 2 * * *", "every day at 02:00 UTC"),
        ("45 8 * * 1", "every Monday at 08:45 UTC"),
        ("0 9 * * 1-5", "every weekday (Monday to Friday) at 09:00 UTC"),
        ("0 9 * * 0,6", "every Sunday and Saturday at 09:00 UTC"),
        ("15 3 1 * *", "on day 1 of every month at 03:15 UTC"),
        ("0 0 1 1 *", "cron 0 0 1 1 * (UTC)"),
        ("5-10 * * * *", "cron 5-10 * * * * (UTC)"),
    ],
)
def test_in_words(cron: str, words: str) -> None:
    assert in_words(cron) == words


def test_next_times_follow_the_schedule() -> None:
    after = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    assert next_times("7 * * * *", after) == [
        datetime(2026, 12, 3, h, 7, tzinfo=UTC) for h in (10, 11, 12)
    ]
