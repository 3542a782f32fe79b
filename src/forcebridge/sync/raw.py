"""Raw-row hashes: knowing a source row is unchanged without mapping it.

A `Differ` given a mapping fingerprint (`prepare.mapping_fingerprint`: the spec, the mode and
the describe attributes the mapper reads) hashes each source row as the source gave it,
salted with the fingerprint and keyed by the record's key. The store keeps the hash of the
row Salesforce last confirmed; a row whose hash is still there was confirmed with exactly
these values under exactly this mapping, so it is skipped without a dict, a mapping or a
payload hash. A changed row, mapping or describe changes the hash and the row goes through
map -> payload hash as before.

Because the key is hashed in, a hash names one key's row: the store can answer a batch with
the set of raw hashes it holds for the batch's keys (`PreviousState.raw_hashes`, one string
per batch from the database), and a row is unchanged when its hash is in that set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from forcebridge.sources.base import SourceRecord

HASH_BYTES = 16


def _raw_default(value: Any) -> Any:
    """Values orjson does not know (Decimal, bytes, ...) as type-tagged text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"{type(value).__name__}:{bytes(value).hex()}"
    return f"{type(value).__name__}:{value!s}"


@dataclass(frozen=True, slots=True)
class StoredHashes:
    """What the store holds for a batch's keys: their raw hashes (it may hold more, of keys
    next to them), and whether any of the keys has a state at all (none: an initial sync,
    no further lookup needed)."""

    hashes: frozenset[str] = field(default_factory=frozenset)
    any_stored: bool = False


class RawHasher:
    """Hex blake2b-128 of a record's raw row, salted with the fingerprint, naming its key.

    A row from a fixed-column source (`SourceRecord.row`, which holds the key column) is
    hashed as the driver gave it, with its column names hashed once per source (renaming a
    column changes every hash); a dict record is hashed as its JSON plus its key.
    """

    __slots__ = ("_base", "_columns", "_salt", "_with_columns")

    def __init__(self, salt: bytes) -> None:
        self._salt = salt
        self._base = hashlib.blake2b(salt, digest_size=HASH_BYTES)
        self._columns: Sequence[str] | None = None
        self._with_columns = self._base

    def __call__(self, record: SourceRecord) -> str:
        return self.many((record,))[0]

    def many(self, records: Sequence[SourceRecord]) -> list[str]:
        """The hash of each record, in one loop (a re-sync hashes every source row)."""
        dumps, default = orjson.dumps, _raw_default
        out: list[str] = []
        append = out.append
        for r in records:
            row = r.row
            if row is None:  # a dict need not hold the key (push): hash it in
                digest = self._base.copy()
                digest.update(dumps(r.values, default=default, option=orjson.OPT_NON_STR_KEYS))
                digest.update(b"\0key\0" + (r.key or "").encode())
            else:
                if r.columns is not self._columns:  # a source shares one list: runs once
                    self._for_columns(r.columns)
                digest = self._with_columns.copy()
                digest.update(dumps(row, default=default))  # the row holds its key
            append(digest.hexdigest())
        return out

    def _for_columns(self, columns: Sequence[str] | None) -> None:
        self._columns = columns
        self._with_columns = hashlib.blake2b(self._salt, digest_size=HASH_BYTES)
        self._with_columns.update(b"\0columns\0" + orjson.dumps(list(columns or ())))
