"""The pure half of a reconciliation: pairing the org's rows with the source's records, and
settling each pair (missing, relinked, drifted, unchanged) into what to write and remember.

No I/O: `runs.reconcile` reads the org and the source and feeds them here, so matching and
settling are tested directly. An org row is kept as its Salesforce id (`ID_BYTES`) followed
by the digests of its compared fields (`sync.readback.Compared`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from forcebridge.runs.state import Confirmed
from forcebridge.salesforce import soql_name
from forcebridge.sync.diff import Change, Diffed, Differ, Held
from forcebridge.sync.mapper import Mapper, MappingError
from forcebridge.sync.mapping import SyncMode
from forcebridge.sync.ownership import Ownership
from forcebridge.sync.readback import Compared, compared_for
from forcebridge.sync.schema import ObjectSchema

ID_BYTES = 18  # bytes of the Salesforce id at the head of an org row's entry


@dataclass
class Reconciliation:
    """What a reconciling run found (beside the run's own counts)."""

    missing: int = 0
    drifted: int = 0
    relinked: int = 0
    orphaned: int = 0
    org_records: int = 0  # read back from the org
    read_with: str = "soql"  # or "bulk"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Settled:
    """One batch settled against the org: what to write, to remember, to report."""

    send: list[Diffed] = field(default_factory=list)
    confirm: list[Confirmed] = field(default_factory=list)
    conflicts: list[tuple[Diffed, list[str]]] = field(default_factory=list)
    errors: list[MappingError] = field(default_factory=list)
    unchanged: int = 0



class ReconcilePlan:
    """What reconciling one integration compares and how it writes."""

    def __init__(self, mapper: Mapper, target: ObjectSchema | None, mode: SyncMode) -> None:
        self.mapper = mapper
        self.mode = mode
        self.object = mapper.object_name
        self.external_id = mapper.external_id_field
        self.ownership = Ownership.of(mapper.spec, mapper.fields)
        self.compared: Compared = compared_for(mapper, target)

    def soql(self) -> str:
        assert self.external_id is not None
        ext = soql_name(self.external_id)
        names = ["Id", ext, "SystemModstamp", *(soql_name(f) for f in self.compared.fields)]
        unique = list(dict.fromkeys(names))
        return f"SELECT {', '.join(unique)} FROM {soql_name(self.object)} WHERE {ext} != null"  # noqa: S608

    def settle(self, pairs: Sequence[tuple[Diffed | Held, bytes | None]], differ: Differ,
               found: Reconciliation) -> Settled:
        """Each record against the org's copy (None: the org has none); pure, no I/O.

        A held record (its row unchanged since its last write) whose org row has the id and
        the digests of that write is unchanged without being mapped; any other is mapped
        here and settled as a mapped one."""
        out = Settled()
        updates, stamp, unchanged = self.mode.updates, self.compared.stamp, self.compared.unchanged
        for item, hit in pairs:
            if isinstance(item, Held):
                state = item.state
                if hit is not None and state.salesforce_id is not None \
                        and hit[:ID_BYTES] == state.salesforce_id.encode() \
                        and unchanged(state.digests, hit[ID_BYTES:]):
                    out.unchanged += 1
                    continue
                try:
                    mapped = self.mapper.map(item.record)
                except MappingError as exc:
                    out.errors.append(exc)
                    continue
                raw = {mapped.key: state.raw_hash} if state.raw_hash else {}
                d = differ.diff([mapped], {mapped.key: state}, raw)[0]
            else:
                d = item
            if hit is None:
                if d.change is not Change.NEW:
                    found.missing += 1
                out.send.append(Diffed(d.key, d.payload, d.hash, Change.NEW, None, d.line,
                                       d.raw_hash, stamp(d.payload)))
                continue
            sf_id = hit[:ID_BYTES].decode()
            relinked = d.salesforce_id != sf_id
            if relinked:
                found.relinked += 1
            if d.change is Change.CHANGED and not relinked:
                if updates:  # insert mode leaves a changed record as it is, as its runs do
                    out.send.append(Diffed(d.key, self.ownership.for_update(d.payload),
                                           d.hash, Change.CHANGED, sf_id, d.line, d.raw_hash,
                                           stamp(d.payload)))
                else:
                    out.unchanged += 1
                continue
            overwrite, kept, flagged = self.ownership.drifted(
                self.compared.differing(d.payload, hit[ID_BYTES:]))
            if overwrite or kept or flagged:
                found.drifted += 1
            if flagged:
                out.conflicts.append((d, flagged))
            if overwrite and updates:
                payload = self.ownership.for_update(d.payload, frozenset(kept + flagged))
                out.send.append(Diffed(d.key, payload, d.hash, Change.CHANGED, sf_id, d.line,
                                       d.raw_hash, stamp(d.payload)))
                continue
            if relinked or d.change is not Change.UNCHANGED:
                out.confirm.append(Confirmed(d.key, d.hash, sf_id, d.raw_hash, stamp(d.payload)))
            out.unchanged += 1
        return out


class Matching:
    """The org's rows and the source's records, matched by external id as each arrives.

    The org is read (one query) while the source is read, so neither waits for the other: an
    org row whose record has not been read yet waits in `index` (its Salesforce id and
    compared digests, about 200 bytes), a record whose org row has not been read yet waits in
    `waiting` (its payload). A record still waiting once the whole org is read is missing in
    the org. At most `read_ahead` records wait: past that the source pauses until the org
    read catches up, so memory stays bounded whatever order the two come in.
    """

    def __init__(self, plan: ReconcilePlan, found: Reconciliation, read_ahead: int) -> None:
        assert plan.external_id is not None
        self.plan = plan
        self.found = found
        self.read_ahead = read_ahead
        self.index: dict[str, bytes] = {}
        self.waiting: dict[str, Diffed | Held] = {}
        self.matched: list[tuple[Diffed | Held, bytes | None]] = []
        self.org_read = False
        self.moved = asyncio.Event()  # set when the org read matched records or ended

    def org_row(self, value: str, entry: bytes) -> None:
        d = self.waiting.pop(value, None)
        if d is None:
            self.index[value] = entry
        else:
            self.matched.append((d, entry))

    def org_done(self) -> None:
        self.org_read = True
        self.matched += [(d, None) for d in self.waiting.values()]
        self.waiting = {}
        self.moved.set()

    def source(self, records: Sequence[Diffed], held: Sequence[Held] = ()) -> None:
        """Match a batch of the source: what is settled waits in `matched`."""
        ext = self.plan.external_id
        assert ext is not None
        pairs: list[tuple[Diffed | Held, str]] = [(h, h.external_id) for h in held]
        for d in records:
            raw = d.payload.get(ext)
            pairs.append((d, "" if raw is None else str(raw)))
        for item, value in pairs:
            hit = self.index.pop(value, None) if value else None
            if hit is not None:
                self.matched.append((item, hit))
            elif self.org_read or not value or value in self.waiting:
                # no org row can match an empty value, nor a second record with one value
                self.matched.append((item, None))
            else:
                self.waiting[value] = item

    def take(self) -> list[tuple[Diffed | Held, bytes | None]]:
        taken, self.matched = self.matched, []
        return taken

    @property
    def full(self) -> bool:
        return not self.org_read and len(self.waiting) >= self.read_ahead
