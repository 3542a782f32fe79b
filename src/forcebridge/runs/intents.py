"""Creates a run sent but never kept the answer of, resolved against the org before any new
create (see store/write_intents.py for why they are written).

`record` writes a chunk's intents before its create goes out (and a Bulk API job's, with the
job's id, once the org gave it one and before its data goes up); `runs.sink.keep` deletes
them in the transaction that records the answer. Intents still here at the start of a run
were left by a run that died or lost its answer; `resolve` settles them first:

- a Bulk API job is asked for: still open (its data never completed) it is aborted and its
  records are sent again by this run; in progress it is waited for; once done its successful
  results become sync state, as if the dead run had kept them;
- a collections create is looked up by the external id value it was sent with: a record the
  org has becomes sync state with its id; one it lacks was never created and this run sends
  it like any new record;
- without an external id field nothing can find the record: it becomes an event
  OUTCOME_UNKNOWN with its payload, and state without an id so no run creates it again.

What a resolution confirms is added to the counts of the run that sent it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy import delete, insert, select, update

from forcebridge import log
from forcebridge.runs import state
from forcebridge.runs.state import Confirmed
from forcebridge.runs.writer import Writer, unknown
from forcebridge.runtime import Runtime
from forcebridge.salesforce import AuthenticationError, LimitExceeded, SalesforceError
from forcebridge.services import events
from forcebridge.store.db import Database
from forcebridge.store.integrations import Integration
from forcebridge.store.runs import Run
from forcebridge.store.types import utcnow
from forcebridge.store.write_intents import WriteIntent
from forcebridge.sync.diff import Change, Diffed

_IN_CHUNK = 900
_logger = log.get("runs.intents")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def record(
    db: Database, integration_id: str, run_id: str, records: Sequence[Diffed],
    external_id: str | None, job_id: str | None = None,
) -> None:
    """Write the intents of `records` about to be created (by `job_id` when a Bulk job)."""
    if not records:
        return
    now = utcnow()
    rows = []
    for r in records:
        value = _text(r.payload.get(external_id)) if external_id else None
        rows.append({
            "integration_id": integration_id, "key": r.key, "run_id": run_id, "hash": r.hash,
            "raw_hash": r.raw_hash, "job_id": job_id, "created_at": now, "match_value": value,
            # nothing to find it by: the payload, for the event that says so
            "payload": r.payload if value is None else None,
        })
    with db.begin() as session:
        session.execute(insert(WriteIntent), rows)


def forget(session: Any, integration_id: str, keys: Sequence[str], job_id: str | None) -> None:
    """Delete the intents an answer settled (in the transaction that keeps the answer)."""
    where = [WriteIntent.integration_id == integration_id]
    if job_id is not None:
        session.execute(delete(WriteIntent).where(*where, WriteIntent.job_id == job_id))
    for start in range(0, len(keys), _IN_CHUNK):
        session.execute(delete(WriteIntent).where(
            *where, WriteIntent.key.in_(list(keys[start : start + _IN_CHUNK]))))


@dataclass
class _Intent:
    key: str
    run_id: str
    hash: str
    raw_hash: str | None
    match_value: str | None
    job_id: str | None
    payload: dict[str, Any] | None

    def as_diffed(self) -> Diffed:
        return Diffed(self.key, dict(self.payload or {}), self.hash, Change.NEW, None, 0,
                      self.raw_hash)


@dataclass
class _Settled:
    """What a resolution found, per run that sent it."""

    confirmed: list[Confirmed] = field(default_factory=list)
    unknown: list[Confirmed] = field(default_factory=list)
    rejected: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _load(db: Database, integration_id: str) -> list[_Intent]:
    with db.session() as session:
        rows = session.execute(
            select(WriteIntent.key, WriteIntent.run_id, WriteIntent.hash, WriteIntent.raw_hash,
                   WriteIntent.match_value, WriteIntent.job_id, WriteIntent.payload)
            .where(WriteIntent.integration_id == integration_id)
        )
        return [_Intent(*row) for row in rows]


async def resolve(rt: Runtime, integration_id: str, org_id: str, writer: Writer) -> int:
    """Settle every intent the integration's earlier runs left, against the org the run
    reaches (what it confirms is that org's state); how many there were."""
    pending = await anyio.to_thread.run_sync(_load, rt.db, integration_id)
    if not pending:
        return 0
    groups: dict[str | None, list[_Intent]] = defaultdict(list)
    for intent in pending:
        groups[intent.job_id].append(intent)
    for job_id, intents in groups.items():
        settled = _Settled()
        if job_id is None:
            await _creates(writer, intents, settled)
        else:
            await _job(rt, writer, job_id, intents, settled)
        await anyio.to_thread.run_sync(_keep, rt, integration_id, org_id, intents, settled)
        log.event(_logger, "write intents resolved", integration_id=integration_id,
                  job_id=job_id, intents=len(intents), confirmed=len(settled.confirmed),
                  unknown=len(settled.unknown))
    return len(pending)


async def _creates(writer: Writer, intents: list[_Intent], settled: _Settled) -> None:
    findable = [i for i in intents if i.match_value is not None]
    if writer.external_id is not None and findable:
        found = await writer.ids_by_external_id([i.match_value for i in findable])
        for i in findable:
            sf_id = found.get(i.match_value or "")
            if sf_id is not None:
                settled.confirmed.append(Confirmed(i.key, i.hash, sf_id, i.raw_hash))
                settled.created[i.run_id] += 1
    lost = [i for i in intents if i.match_value is None and i.payload is not None]
    for run_id in {i.run_id for i in lost}:
        mine = [i.as_diffed() for i in lost if i.run_id == run_id]
        written = unknown(mine, "OUTCOME_UNKNOWN")
        settled.unknown += written.unknown
        settled.rejected[run_id] += written.rejected


async def _job(
    rt: Runtime, writer: Writer, job_id: str, intents: list[_Intent], settled: _Settled
) -> None:
    """Use the results of a Bulk job a dead run created; its other records are resent."""
    ext = writer.external_id
    client = writer.client
    try:
        job = await client.bulk_job(job_id)
        if job.state == "Open":  # its data never completed: it will never run
            await client.bulk_abort(job)
            return
        if not job.done:
            poll = rt.settings.run_bulk_poll_seconds
            job = await client.bulk_wait(job, poll_interval=poll, max_interval=max(poll, 1.0))
        if ext is None:
            return
        by_value = {i.match_value: i for i in intents if i.match_value is not None}
        async for row in client.bulk_results(job_id, "successfulResults"):
            intent = by_value.pop(row.get(ext, ""), None)
            if intent is None:
                continue
            settled.confirmed.append(
                Confirmed(intent.key, intent.hash, row.get("sf__Id") or None, intent.raw_hash))
            if row.get("sf__Created", "").lower() == "true":
                settled.created[intent.run_id] += 1
            else:
                settled.updated[intent.run_id] += 1
    except (AuthenticationError, LimitExceeded):
        raise
    except SalesforceError as exc:  # the job is gone or unreadable: its records are resent
        log.event(_logger, "bulk job of a dead run not usable", job_id=job_id, code=exc.code)


def _keep(
    rt: Runtime, integration_id: str, org_id: str, intents: list[_Intent], settled: _Settled
) -> None:
    with rt.db.begin() as session:
        state.save(session, integration_id, org_id, settled.confirmed + settled.unknown)
        forget(session, integration_id, [i.key for i in intents], None)
        integration = session.get(Integration, integration_id)
        for run_id, rejected in settled.rejected.items():
            for r in rejected:
                if integration is not None:
                    events.record(
                        session, integration=integration, run_id=run_id, kind=r.kind,
                        message=r.message, record_key=r.key, error_code=r.code,
                        fields=r.fields, payload=r.payload,
                    )
        for run_id in {*settled.created, *settled.updated, *settled.rejected}:
            session.execute(update(Run).where(Run.id == run_id).values(
                created=Run.created + settled.created.get(run_id, 0),
                updated=Run.updated + settled.updated.get(run_id, 0),
                failed=Run.failed + len(settled.rejected.get(run_id, ())),
            ))
