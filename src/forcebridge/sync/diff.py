"""Change detection: a stable hash of each payload against the last one Salesforce confirmed.

Per integration the store keeps key -> (payload hash, Salesforce id). A record whose hash
equals the stored one is unchanged and is not sent again. The hash is blake2b (16 bytes, hex)
of the payload as canonical JSON (orjson, sorted keys), so it does not depend on mapping order.
A `scope` (the target object and external-id field) is hashed in too: pointing an integration
at another object changes every hash, so nothing is wrongly skipped as unchanged.

Raw-row skip: a `Differ` given a `fingerprint` (`prepare.mapping_fingerprint`: the mapping
spec, the mode and the describe attributes the mapper uses) also hashes each source row's
raw values salted with it (`raw_hash`). A row whose raw hash equals the stored one was
confirmed with exactly these values under exactly this mapping, so it is unchanged without
being mapped at all. A changed row, mapping or describe changes the raw hash and the row goes
through map -> payload hash as before (and when only the raw hash moved, the stored one is
refreshed so the next run skips it again).

Streaming: the previous state is asked per batch (`PreviousState.lookup(keys)`), so a run
never loads the whole table. Mirror mode must also know which keys left the source; `Differ`
collects the keys it has seen in a set, which costs memory proportional to the number of
source keys (roughly 100 bytes per key: 100 MB for a million records). The same set finds
keys that appear twice in one source. `track_seen=False` avoids that memory when the caller
does not mirror (and then cannot detect duplicate keys), or marks keys seen in the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import orjson

from forcebridge.sources.base import SourceRecord
from forcebridge.sync.mapper import MappedRecord

HASH_BYTES = 16


def payload_hash(payload: Mapping[str, Any], scope: str = "") -> str:
    """Hex blake2b-128 of `scope`, a NUL, and the canonical JSON of `payload` (sorted keys)."""
    digest = hashlib.blake2b(scope.encode(), digest_size=HASH_BYTES)
    digest.update(b"\0")
    digest.update(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


def _raw_default(value: Any) -> Any:
    """Values orjson does not know (Decimal, bytes, ...) as type-tagged text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"{type(value).__name__}:{bytes(value).hex()}"
    return f"{type(value).__name__}:{value!s}"


def raw_hash(values: Mapping[str, Any], salt: bytes) -> str:
    """Hex blake2b-128 of `salt` (a mapping fingerprint) and a source row's raw values."""
    digest = hashlib.blake2b(salt, digest_size=HASH_BYTES)
    digest.update(orjson.dumps(values, default=_raw_default, option=orjson.OPT_NON_STR_KEYS))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class SyncedState:
    """What the store remembers of a key after Salesforce confirmed a write."""

    hash: str
    salesforce_id: str | None = None
    raw_hash: str | None = None


class PreviousState(Protocol):
    """The last confirmed state of a batch of keys (absent keys: never synced)."""

    def lookup(self, keys: Sequence[str]) -> Mapping[str, SyncedState]: ...


class DictState:
    """`PreviousState` over an in-memory dict, for tests and small integrations."""

    def __init__(self, states: Mapping[str, SyncedState]) -> None:
        self.states = states

    def lookup(self, keys: Sequence[str]) -> Mapping[str, SyncedState]:
        states = self.states
        return {k: states[k] for k in keys if k in states}


class Change(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(slots=True)
class Diffed:
    """One mapped record with its hash, verdict and (when known) Salesforce id."""

    key: str
    payload: dict[str, Any]
    hash: str
    change: Change
    salesforce_id: str | None
    line: int
    raw_hash: str | None = None


@dataclass
class Differ:
    """Classifies mapped records batch by batch and remembers the keys seen (for mirror)."""

    previous: PreviousState
    scope: str = ""
    track_seen: bool = True
    seen: set[str] = field(default_factory=set)
    finished: bool = False
    fingerprint: str | None = None  # set: raw rows are hashed and unchanged ones skipped

    def skip_unchanged(
        self, records: Sequence[SourceRecord]
    ) -> tuple[list[SourceRecord], int, Mapping[str, SyncedState], dict[str, str]]:
        """Splits off the records whose raw row is unchanged since Salesforce confirmed it.

        Returns the records still to map, how many were skipped, the previous state of the
        batch's keys (for `diff(known=...)`) and each remaining keyed record's raw hash.
        Without a fingerprint nothing is skipped and no hash is computed.
        """
        known = self.previous.lookup([r.key for r in records if r.key is not None])
        if self.fingerprint is None:
            return list(records), 0, known, {}
        salt = self.fingerprint.encode()
        rest: list[SourceRecord] = []
        hashes: dict[str, str] = {}
        skipped = 0
        for r in records:
            key = r.key
            if key is None:
                rest.append(r)
                continue
            digest = raw_hash(r.values, salt)
            state = known.get(key)
            if state is not None and state.raw_hash == digest:
                skipped += 1
                continue
            hashes[key] = digest
            rest.append(r)
        return rest, skipped, known, hashes

    def see(self, records: Iterable[SourceRecord]) -> list[SourceRecord]:
        """Marks the records' keys present in the source and returns the records whose key was
        seen before (duplicates: the first occurrence wins).

        Call it on every source record, also those filtered out or failing to map, so mirror
        mode never deletes a record just because it did not map this time.
        """
        if not self.track_seen:
            return []
        seen, duplicates = self.seen, []
        for r in records:
            key = r.key
            if key is None:
                continue
            if key in seen:
                duplicates.append(r)
            else:
                seen.add(key)
        return duplicates

    def diff(
        self, records: Sequence[MappedRecord], known: Mapping[str, SyncedState] | None = None,
        raw: Mapping[str, str] | None = None,
    ) -> list[Diffed]:
        """The mapped records with their hash and verdict against the previous state
        (`known`: that state already looked up; `raw`: the records' raw hashes by key)."""
        if known is None:
            known = self.previous.lookup([r.key for r in records])
        raw = raw or {}
        scope = self.scope
        out: list[Diffed] = []
        for r in records:
            digest = payload_hash(r.payload, scope)
            state = known.get(r.key)
            if state is None:
                change, sf_id = Change.NEW, None
            else:
                change = Change.UNCHANGED if state.hash == digest else Change.CHANGED
                sf_id = state.salesforce_id
            out.append(Diffed(r.key, r.payload, digest, change, sf_id, r.line, raw.get(r.key)))
        return out

    def finish(self) -> None:
        """Call once the source was read to its end without error; only then may `deleted`
        run, so a source that failed halfway never makes mirror delete the rest."""
        self.finished = True

    def deleted(self, previous_keys: Iterable[str]) -> Iterator[str]:
        """Keys synced before but not in the source this time (stream `previous_keys`)."""
        if not self.track_seen:
            raise RuntimeError("deleted keys need track_seen=True")
        if not self.finished:
            raise RuntimeError("deleted keys are known only after the source was read fully")
        seen = self.seen
        return (k for k in previous_keys if k not in seen)
