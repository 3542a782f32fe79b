"""How long a message waits before its next attempt: exponential, capped, with jitter.

The wait after attempt n is base * 2**(n-1), capped at max, minus up to a quarter of it at
random: the jitter spreads retries of messages that failed together (an org's outage ends for
all of them at once), while the lower bound keeps the backoff meaningful and testable.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

JITTER = 0.25


def delay_seconds(
    attempts: int, base: float, maximum: float, rng: random.Random | None = None
) -> float:
    """The wait after `attempts` attempts (1 after the first), in seconds."""
    exponent = max(attempts - 1, 0)
    ceiling = min(maximum, base * 2.0 ** min(exponent, 60))
    draw = (rng or random).random()
    return ceiling * (1.0 - JITTER * draw)


def next_attempt(
    now: datetime, attempts: int, base: float, maximum: float, rng: random.Random | None = None
) -> datetime:
    return now + timedelta(seconds=delay_seconds(attempts, base, maximum, rng))
