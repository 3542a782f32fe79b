"""Salesforce record ids: 3-char key prefix, 12 more chars, 3-char case-safe suffix.

A 15-char id is case-sensitive; the 18-char form appends a checksum that encodes which of
the 15 chars are upper case, so the id survives case-insensitive systems (spreadsheets,
SQL collations). The emulator always hands out 18-char ids and accepts both forms.
"""

from __future__ import annotations

import hashlib
import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_RE = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")
# Upper-case letters -> "1", everything else -> "0", for a fast bit string per chunk.
_UPPER_BITS = str.maketrans(
    {c: "1" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    | {c: "0" for c in "0123456789abcdefghijklmnopqrstuvwxyz"}
)

# Key prefixes of the objects the emulator knows out of the box.
STANDARD_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Organization": "00D",
    "Lead": "00Q",
    "Case": "500",
    "Contract": "800",
    "RecordType": "012",
}


def checksum(id15: str) -> str:
    """The 3-char suffix of a 15-char id: per 5-char chunk, bit i set when char i is A-Z."""
    bits = id15.translate(_UPPER_BITS)
    return (
        _SUFFIX_ALPHABET[int(bits[4::-1], 2)]
        + _SUFFIX_ALPHABET[int(bits[9:4:-1], 2)]
        + _SUFFIX_ALPHABET[int(bits[14:9:-1], 2)]
    )


def is_valid(value: object) -> bool:
    """True for a well-formed 15-char id, or an 18-char id whose suffix matches."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        return False
    if len(value) == 18:
        # Salesforce compares the suffix case-insensitively (it only holds A-Z0-5).
        return checksum(value[:15]) == value[15:].upper()
    return True


def to18(value: str) -> str:
    """Normalise a 15- or 18-char id to its canonical 18-char form; ValueError if malformed."""
    if not is_valid(value):
        raise ValueError("malformed id")
    if len(value) == 18:
        return value[:15] + value[15:].upper()
    return value + checksum(value)


def normalize(value: object) -> str | None:
    """`to18` that answers None instead of raising, for validation paths."""
    if not isinstance(value, str):
        return None
    n = len(value)
    if n == 18 and _ID_RE.match(value):
        head = value[:15]
        tail = value[15:].upper()
        return head + tail if checksum(head) == tail else None
    if n == 15 and _ID_RE.match(value):
        return value + checksum(value)
    return None


def prefix_of(record_id: str) -> str:
    return record_id[:3]


def base62(n: int, width: int) -> str:
    """`n` written in base 62, left-padded with zeros to `width` chars."""
    out = []
    while n:
        n, r = divmod(n, 62)
        out.append(_BASE62[r])
    s = "".join(reversed(out))
    if len(s) > width:
        raise OverflowError("id space exhausted")
    return s.rjust(width, "0")


class IdFactory:
    """Hands out unique ids for one org: prefix + 2-char pod + 10-char counter + suffix.

    One counter for the whole org keeps ids unique across objects and sortable by creation,
    which is also how real ids behave within one pod.
    """

    def __init__(self, pod: str = "5g", start: int = 1) -> None:
        self._pod = pod
        self._next = start

    def new(self, key_prefix: str) -> str:
        n = self._next
        self._next = n + 1
        head = key_prefix + self._pod + base62(n, 10)
        return head + checksum(head)

    @property
    def counter(self) -> int:
        return self._next

    @counter.setter
    def counter(self, value: int) -> None:
        self._next = value


def custom_prefix(name: str, taken: set[str], *, first: str = "a") -> str:
    """A stable key prefix for a custom object (`a0X`...) or platform event (`e0X`...).

    Shaped like real ones (letter, digit, base-62 char) and derived from the API name so an
    org file gives the same prefixes on every start; collisions are resolved by probing.
    """
    digest = int.from_bytes(hashlib.sha256(name.lower().encode()).digest()[:4], "big")
    for i in range(620):
        n = (digest + i) % 620
        candidate = first + str(n // 62) + _BASE62[n % 62]
        if candidate not in taken:
            return candidate
    raise OverflowError("no free key prefix")
