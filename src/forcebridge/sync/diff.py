"""Change detection: a stable hash of each payload against the last one Salesforce confirmed.

Per integration the store keeps key -> (payload hash, Salesforce id). A record whose hash
equals the stored one is unchanged and is not sent again. The hash is blake2b (16 bytes, hex)
of the payload as canonical JSON (orjson, sorted keys), so it does not depend on mapping order.
A `scope` (the target object and external-id field) is hashed in too: pointing an integration
at another object changes every hash, so nothing is wrongly skipped as unchanged.

Raw-row skip (`sync.raw`): a `Differ` given a `fingerprint` also hashes each source row as
the source gave it; rows whose hash the store still holds are skipped before mapping, and
when a mapped record turns out unchanged while its row hash moved, the stored one is
refreshed so the next run skips it again.

Streaming: the previous state is asked per batch (`PreviousState`), so a run
never loads the whole table. Mirror mode must also know which keys left the source; `Differ`
collects the keys it has seen in a set, which costs memory proportional to the number of
source keys (roughly 100 bytes per key: 100 MB for a million records). The same set finds
keys that appear twice in one source. `track_seen=False` avoids that memory when the caller
does not mirror (and then cannot detect duplicate keys), or marks keys seen in the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

import orjson

from forcebridge.sources.base import SourceRecord
from forcebridge.sync.mapper import MappedRecord
from forcebridge.sync.raw import HASH_BYTES, RawHasher, StoredHashes
from forcebridge.sync.readback import Compared


def payload_hash(payload: Mapping[str, Any], scope: str = "") -> str:
    """Hex blake2b-128 of `scope`, a NUL, and the canonical JSON of `payload` (sorted keys)."""
    digest = hashlib.blake2b(scope.encode(), digest_size=HASH_BYTES)
    digest.update(b"\0")
    digest.update(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


class SyncedState(NamedTuple):
    """What the store remembers of a key after Salesforce confirmed a write (a tuple: a
    reconciling run looks up every key of the source)."""

    hash: str
    salesforce_id: str | None = None
    raw_hash: str | None = None
    digests: bytes | None = None  # `Compared.stamp` of the payload written


class PreviousState(Protocol):
    """The last confirmed state of a batch of keys (absent keys: never synced)."""

    def lookup(self, keys: Sequence[str]) -> Mapping[str, SyncedState]: ...

    def raw_hashes(self, keys: Sequence[str]) -> StoredHashes:
        """The raw hashes stored for `keys`: the one question a re-sync asks of every row
        (`lookup` follows for the few rows that changed)."""
        ...


class DictState:
    """`PreviousState` over an in-memory dict, for tests and small integrations."""

    def __init__(self, states: Mapping[str, SyncedState]) -> None:
        self.states = states

    def lookup(self, keys: Sequence[str]) -> Mapping[str, SyncedState]:
        states = self.states
        return {k: states[k] for k in keys if k in states}

    def raw_hashes(self, keys: Sequence[str]) -> StoredHashes:
        states = self.states
        found = [states[k].raw_hash for k in keys if k in states]
        return StoredHashes(frozenset(h for h in found if h), bool(found))


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
    digests: bytes | None = None  # `Compared.stamp` of the whole payload, for the sync state


class Held(NamedTuple):
    """A source record whose raw row is unchanged since the org confirmed it, held unmapped
    for a reconciling run: its external id value and the state of its last write are enough
    to check it against the org's row (`Compared.unchanged`); it is mapped only when not."""

    record: SourceRecord
    external_id: str
    state: SyncedState


@dataclass
class Differ:
    """Classifies mapped records batch by batch and remembers the keys seen (for mirror)."""

    previous: PreviousState
    scope: str = ""
    track_seen: bool = True
    seen: set[str] = field(default_factory=set)
    finished: bool = False
    fingerprint: str | None = None  # set: raw rows are hashed and unchanged ones skipped
    # set: records sent are stamped with the digests of their compared fields
    compared: Compared | None = None
    # set (with a fingerprint): unchanged rows are held, not skipped (`hold_unchanged`); it
    # gives a record's external id value without mapping it (None: map it)
    hold: Callable[[SourceRecord], Any] | None = None
    _hasher: RawHasher | None = field(default=None, init=False, repr=False)

    def skip_unchanged(
        self, records: Sequence[SourceRecord]
    ) -> tuple[list[SourceRecord], int, Mapping[str, SyncedState], dict[str, str]]:
        """Splits off the records whose raw row is unchanged since Salesforce confirmed it.

        Returns the records still to map, how many were skipped, the previous state of the
        batch's keys (for `diff(known=...)`) and each remaining keyed record's raw hash.
        Without a fingerprint nothing is skipped and no hash is computed.
        """
        if self.fingerprint is None:
            keys = [r.key for r in records if r.key is not None]
            return list(records), 0, self.previous.lookup(keys), {}
        keyed = [r for r in records if r.key is not None]
        keys = [k for r in keyed if (k := r.key) is not None]
        digests = self._raw(keyed)
        matched = (stored := self.previous.raw_hashes(keys)).hashes
        rest: list[SourceRecord] = []
        hashes: dict[str, str] = {}
        next_digest = iter(digests).__next__
        for r in records:  # in source order: keyless records fail mapping with a reason
            key = r.key
            if key is None:
                rest.append(r)
            elif (digest := next_digest()) not in matched:
                hashes[key] = digest
                rest.append(r)
        skipped = len(records) - len(rest)
        # only a batch with some stored state needs the full lookup: none in an initial sync
        known = self.previous.lookup(list(hashes)) if stored.any_stored and hashes else {}
        return rest, skipped, known, hashes

    def _raw(self, keyed: Sequence[SourceRecord]) -> list[str]:
        hasher = self._hasher
        if hasher is None:
            assert self.fingerprint is not None
            hasher = self._hasher = RawHasher(self.fingerprint.encode())
        return hasher.many(keyed)

    def hold_unchanged(
        self, records: Sequence[SourceRecord]
    ) -> tuple[list[SourceRecord], list[Held], Mapping[str, SyncedState], dict[str, str]]:
        """`skip_unchanged` for a reconciling run: a record whose raw row is unchanged, whose
        state holds the digests of its last write and whose external id value is known
        without mapping is `Held` instead of skipped. Returns the records still to map,
        those held, the previous state of the batch's keys and the remaining raw hashes."""
        assert self.hold is not None
        keyed = [r for r in records if r.key is not None]
        digests = self._raw(keyed)
        known = self.previous.lookup([k for r in keyed if (k := r.key) is not None])
        rest: list[SourceRecord] = []
        held: list[Held] = []
        hashes: dict[str, str] = {}
        next_digest, get, external_id = iter(digests).__next__, known.get, self.hold
        for r in records:
            key = r.key
            if key is None:
                rest.append(r)
                continue
            digest = next_digest()
            state = get(key)
            if state is not None and state.raw_hash == digest and state.digests is not None \
                    and (value := external_id(r)) is not None and value != "":
                held.append(Held(r, str(value), state))
            else:
                hashes[key] = digest
                rest.append(r)
        return rest, held, known, hashes

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
        # payload_hash with the scope hashed once: each record copies that state
        scoped = hashlib.blake2b(self.scope.encode(), digest_size=HASH_BYTES)
        scoped.update(b"\0")
        dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
        out: list[Diffed] = []
        for r in records:
            hasher = scoped.copy()
            hasher.update(dumps(r.payload, option=sort))
            digest = hasher.hexdigest()
            state = known.get(r.key)
            if state is None:
                change, sf_id = Change.NEW, None
            else:
                change = Change.UNCHANGED if state.hash == digest else Change.CHANGED
                sf_id = state.salesforce_id
            out.append(Diffed(r.key, r.payload, digest, change, sf_id, r.line, raw.get(r.key)))
        if self.compared is not None:  # what is sent is stamped, for the sync state
            sent = [d for d in out if d.change is not Change.UNCHANGED]
            for d, stamp in zip(sent, self.compared.stamps([d.payload for d in sent]),
                                strict=True):
                d.digests = stamp
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
