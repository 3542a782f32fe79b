"""Creates a run sent but never kept the answer of, resolved against the org before any new
create (see store/write_intents.py for why they are written).

`record` writes one intent per write, holding its records: a collections chunk's before its
create goes out, a Bulk API job's once the org gave the job its id and before its data goes up
(one row, not one per record: a job of 20,000 records costs one insert); `runs.sink.record_answer`
deletes it in the transaction that records the answer. Intents still here at the start of a run
were left by a run that died or lost its answer; `resolve` settles those of the org the run
reaches first (another org's wait for a run that reaches it):

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
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

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
from forcebridge.store.types import new_id, utcnow
from forcebridge.store.write_intents import WriteIntent
from forcebridge.sync.diff import Change, Diffed

_logger = log.get("runs.intents")
UNKNOWN_ORG = ""  # intents written before they were kept per org


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def record(
    db: Database, integration_id: str, run_id: str, records: Sequence[Diffed],
    external_id: str | None, job_id: str | None = None, *, org_id: str,
) -> str:
    """Write the intent of one write creating `records` in the org `org_id` (a Bulk job's
    when `job_id`); its id, for the transaction that keeps the answer to delete it."""
    rows = []
    for r in records:
        value = _text(r.payload.get(external_id)) if external_id else None
        # nothing to find it by: the payload, for the event that says so
        rows.append([r.key, r.hash, r.raw_hash, value, r.payload if value is None else None])
    intent = WriteIntent(id=new_id(), integration_id=integration_id, run_id=run_id,
                         org_id=org_id, job_id=job_id, records=rows, created_at=utcnow())
    with db.begin() as session:
        session.add(intent)
    return intent.id


def forget(session: Session, intent_ids: Sequence[str]) -> None:
    """Delete the intents an answer settled (in the transaction that keeps the answer)."""
    if intent_ids:
        session.execute(delete(WriteIntent).where(WriteIntent.id.in_(list(intent_ids))))


@dataclass
class _Intent:
    key: str
    hash: str
    raw_hash: str | None
    match_value: str | None
    payload: dict[str, Any] | None
    run_id: str

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


@dataclass
class _Write:
    id: str
    job_id: str | None
    intents: list[_Intent]


def _load(db: Database, integration_id: str, org_id: str) -> list[_Write]:
    """The intents of writes to `org_id`, and those whose org was never recorded."""
    with db.session() as session:
        rows = session.execute(
            select(WriteIntent.id, WriteIntent.run_id, WriteIntent.job_id, WriteIntent.records)
            .where(WriteIntent.integration_id == integration_id,
                   WriteIntent.org_id.in_([org_id, UNKNOWN_ORG]))
            .order_by(WriteIntent.created_at)
        )
        return [_Write(i, job, [_Intent(r[0], r[1], r[2], r[3], r[4], run_id) for r in records])
                for i, run_id, job, records in rows]


async def resolve(rt: Runtime, integration_id: str, org_id: str, writer: Writer) -> int:
    """Settle the intents the integration's earlier runs left in the org the run reaches
    (what it confirms is that org's state); how many records they held. Another org's
    intents wait for a run that reaches it: asked here, that org would answer that it never
    had the records, and they would be created a second time there later."""
    writes = await anyio.to_thread.run_sync(_load, rt.db, integration_id, org_id)
    for write in writes:
        settled = _Settled()
        if write.job_id is None:
            await _creates(writer, write.intents, settled)
        else:
            await _job(rt, writer, write.job_id, write.intents, settled)
        await anyio.to_thread.run_sync(_keep, rt, integration_id, org_id, write.id, settled)
        log.event(_logger, "write intents resolved", integration_id=integration_id,
                  job_id=write.job_id, intents=len(write.intents),
                  confirmed=len(settled.confirmed), unknown=len(settled.unknown))
    return sum(len(w.intents) for w in writes)


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
    rt: Runtime, integration_id: str, org_id: str, intent_id: str, settled: _Settled
) -> None:
    with rt.db.begin() as session:
        state.save(session, integration_id, org_id, settled.confirmed + settled.unknown)
        forget(session, [intent_id])
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
