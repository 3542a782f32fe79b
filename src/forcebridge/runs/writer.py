"""Writing one chunk of changed records (at most 200) through sObject Collections, per mode.

- `upsert` and `mirror`: upsert on the external id. Repeating it is harmless, so a chunk
  whose call keeps failing transiently is sent again (`Settings.run_write_attempts` tries on
  top of the client's own retries); a dropped answer is repeated by the client itself.
- `insert`: create. Before a chunk is sent, its records are written as intents
  (`runs.intents`), so a process killed before the answer is kept leaves them for the next
  run to resolve against the org. A create whose answer was lost (`OutcomeUnknown`) may have
  been applied, so before it is repeated the org is asked which of the chunk's external ids
  exist; without an external id field the records become events with code OUTCOME_UNKNOWN
  (kept in the sync state without an id, so no run creates them again).
- `update`: update by the Salesforce id remembered in the sync state; a record never synced
  by this integration is looked up by its external id first, and one the org does not have
  becomes an event (NOT_FOUND): update mode never creates.

Every record Salesforce rejects becomes a `Rejection` (code, message, fields, the payload
sent); rejections never stop the rest of the chunk. Only records Salesforce confirmed come
back as `Confirmed`, the only ones whose sync state may be written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from forcebridge.runs.state import Confirmed
from forcebridge.salesforce import (
    OutcomeUnknown,
    RetryableError,
    SalesforceClient,
    SaveResult,
    soql_literal,
    soql_name,
)
from forcebridge.sync.diff import Change, Diffed
from forcebridge.sync.mapping import MappingSpec, RawTransform, ReferenceTransform, SyncMode

T = TypeVar("T")
LOOKUP_CHUNK = 100  # external ids per SOQL IN list: keeps the query URL short


@dataclass(frozen=True, slots=True)
class Rejection:
    """One record Salesforce refused, with everything an event needs."""

    key: str
    code: str
    message: str
    fields: list[str]
    payload: dict[str, Any] | None
    kind: str = "record_rejected"  # "delete_rejected": mirror could not delete it


@dataclass
class Written:
    """What Salesforce said about a chunk.

    `unknown`: creates sent whose outcome cannot be known (no external id to ask the org by);
    each also has a rejection. `intents`: the ids of the write intents this answer settles."""

    confirmed: list[Confirmed] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unknown: list[Confirmed] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)

    def add(self, other: Written) -> None:
        self.confirmed += other.confirmed
        self.rejected += other.rejected
        self.created += other.created
        self.updated += other.updated
        self.unknown += other.unknown
        self.intents += other.intents


# records about to be created and the Bulk API job carrying them (None: collections) ->
# the id of the intent written
Intend = Callable[[Sequence[Diffed], "str | None"], Awaitable[str]]


def rejection(record: Diffed, result: SaveResult) -> Rejection:
    first = result.errors[0] if result.errors else None
    return Rejection(
        record.key,
        first.code if first else "UNKNOWN_ERROR",
        "; ".join(e.message for e in result.errors) if result.errors else "rejected",
        sorted({f for e in result.errors for f in e.fields}),
        record.payload,
    )


class Writer:
    """Sends chunks of one integration's changed records; holds no state between chunks."""

    def __init__(
        self, client: SalesforceClient, spec: MappingSpec, mode: SyncMode, attempts: int = 3,
        intend: Intend | None = None,
    ) -> None:
        self.client = client
        self.intend = intend
        self.mode = mode
        self.object = spec.resolved_object()
        self.external_id = spec.resolved_external_id()
        self.attempts = max(1, attempts)
        # whether a payload can name a parent (a reference; a raw or auto-mapped value may be
        # a dict too): without one, grouping by parent has nothing to group
        self.references = spec.auto_map or any(
            isinstance(m.transform, ReferenceTransform | RawTransform) for m in spec.mappings)

    async def retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call` repeated while it fails transiently (never after a lost create)."""
        tries = 0
        while True:
            try:
                return await call()
            except OutcomeUnknown:
                raise
            except RetryableError:
                tries += 1
                if tries >= self.attempts:
                    raise
                await asyncio.sleep(self.client.retry.delay(tries))

    async def write(self, records: Sequence[Diffed]) -> Written:
        """One chunk (≤200 records) in the integration's mode."""
        if not records:
            return Written()
        if self.mode is SyncMode.INSERT:
            return await self._insert(list(records))
        if self.mode is SyncMode.UPDATE:
            return await self._update(list(records))
        return await self.upsert(list(records))

    async def upsert(self, records: list[Diffed]) -> Written:
        assert self.external_id is not None, "plan.check requires an external id to upsert"
        ext = self.external_id
        payloads = [r.payload for r in records]
        results = await self.retrying(lambda: self.client.upsert_many(self.object, ext, payloads))
        return self._outcome(records, results)

    def _outcome(
        self, records: Sequence[Diffed], results: Sequence[SaveResult], ids: Sequence[str] = ()
    ) -> Written:
        out = Written()
        for i, (record, result) in enumerate(zip(records, results, strict=True)):
            if not result.success:
                out.rejected.append(rejection(record, result))
                continue
            sf_id = result.id or (ids[i] if ids else None) or record.salesforce_id
            out.confirmed.append(Confirmed(record.key, record.hash, sf_id, record.raw_hash,
                                            record.digests))
            created = result.created if result.created is not None \
                else record.change is Change.NEW and self.mode is not SyncMode.UPDATE
            if created:
                out.created += 1
            else:
                out.updated += 1
        return out

    # -- insert --------------------------------------------------------------------------
    async def _insert(self, records: list[Diffed]) -> Written:
        out = Written()
        if self.intend is not None:
            out.intents.append(await self.intend(records, None))
        pending = records
        for _ in range(self.attempts):
            payloads = [r.payload for r in pending]
            try:
                results = await self.retrying(
                    lambda p=payloads: self.client.create_many(self.object, p)  # type: ignore[misc]
                )
            except OutcomeUnknown as exc:
                if self.external_id is None:
                    out.add(unknown(pending, exc.code))
                    return out
                existing = await self.ids_by_external_id(
                    [r.payload.get(self.external_id) for r in pending]
                )
                still = []
                for r in pending:
                    sf_id = existing.get(_text(r.payload.get(self.external_id)))
                    if sf_id is None:
                        still.append(r)
                    else:
                        out.confirmed.append(Confirmed(r.key, r.hash, sf_id, r.raw_hash,
                                                                 r.digests))
                        out.created += 1
                pending = still
                if not pending:
                    return out
                continue
            out.add(self._outcome(pending, results))
            return out
        raise OutcomeUnknown("OUTCOME_UNKNOWN", "creates kept losing their answers")

    # -- update --------------------------------------------------------------------------
    async def _update(self, records: list[Diffed]) -> Written:
        out = Written()
        unknown = [r for r in records if not r.salesforce_id]
        found: dict[str, str] = {}
        if unknown and self.external_id is not None:
            found = await self.ids_by_external_id(
                [r.payload.get(self.external_id) for r in unknown]
            )
        sendable: list[Diffed] = []
        ids: list[str] = []
        for r in records:
            sf_id = r.salesforce_id
            if not sf_id and self.external_id is not None:
                sf_id = found.get(_text(r.payload.get(self.external_id)))
            if not sf_id:
                out.rejected.append(Rejection(
                    r.key, "NOT_FOUND", f"no {self.object} record with {self.external_id} = "
                    f"{r.payload.get(self.external_id or '')!r} to update (update mode never "
                    "creates)", [self.external_id or "Id"], r.payload,
                ))
                continue
            sendable.append(r)
            ids.append(sf_id)
        if sendable:
            bodies = [{**r.payload, "Id": i} for r, i in zip(sendable, ids, strict=True)]
            results = await self.retrying(lambda: self.client.update_many(self.object, bodies))
            out.add(self._outcome(sendable, results, ids))
        return out

    async def ids_by_external_id(self, values: Sequence[Any]) -> dict[str, str]:
        """External id (as text) -> Salesforce id, for those of `values` the org has."""
        assert self.external_id is not None
        ext, wanted = soql_name(self.external_id), [v for v in values if v is not None]
        found: dict[str, str] = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            literals = ", ".join(soql_literal(v) for v in wanted[start : start + LOOKUP_CHUNK])
            soql = f"SELECT Id, {ext} FROM {soql_name(self.object)} WHERE {ext} IN ({literals})"  # noqa: S608

            async def fetch(q: str = soql) -> list[dict[str, Any]]:
                return [r async for r in self.client.query(q)]

            for row in await self.retrying(fetch):
                found[_text(row.get(ext))] = str(row["Id"])
        return found

    # -- delete (mirror) -----------------------------------------------------------------
    async def delete(self, ids: Sequence[str]) -> list[SaveResult]:
        """Delete by Salesforce id (≤200); one result per id, in order."""
        return await self.retrying(lambda: self.client.delete_many(list(ids)))


def unknown(records: Sequence[Diffed], code: str) -> Written:
    """Creates whose outcome nobody can tell (no external id to find them by): events, and
    state without an id so that no run creates them again."""
    return Written(
        rejected=[Rejection(r.key, code, "the create was sent but its outcome is unknown "
                            "(no external id field to find it by): check the org, then retry "
                            "the event to create it", [], r.payload) for r in records],
        unknown=[Confirmed(r.key, r.hash, None, r.raw_hash, r.digests) for r in records],
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)
