"""Retrying events: resend just the records they kept, as a run of its own (trigger "retry").

Each `record_rejected` event holds the payload that was sent. A retry upserts those payloads
on the integration's external id (creates them when the mapping has none), under the
integration's run lock like any run, saves the sync state of what Salesforce confirmed, and
marks every retried event `retried`; a record rejected again gets a new open event with the
new reason. Events without a payload (invalid source values, failed runs, failed deletes)
cannot be resent: the source or the next run has to fix those.
"""

from __future__ import annotations

import anyio

from forcebridge.errors import InvalidInput
from forcebridge.runs import intents
from forcebridge.runs.engine import Job, intender, start, supervise
from forcebridge.runs.sink import RunRef, record_answer_in
from forcebridge.runs.writer import Writer, Written
from forcebridge.runtime import Runtime
from forcebridge.salesforce import MAX_RECORDS_PER_COLLECTION
from forcebridge.services import audit, events
from forcebridge.store.runs import Event
from forcebridge.store.types import utcnow
from forcebridge.sync.diff import Change, Diffed, payload_hash
from forcebridge.sync.mapper import compile_mapping
from forcebridge.sync.mapping import SyncMode


def _load(rt: Runtime, tenant_id: str, event_ids: list[str]) -> tuple[str, list[Event]]:
    with rt.db.session() as session:
        found = events.get_many(session, tenant_id, event_ids)
        for i, event in enumerate(found):
            if event.payload is None or not event.record_key:
                raise InvalidInput.field(
                    f"ids.{i}", f"event {event.id} ({event.kind}) has no record to resend"
                )
        integrations = {e.integration_id for e in found}
        if len(integrations) != 1:
            raise InvalidInput.field("ids", "retry events of one integration at a time")
        return integrations.pop(), found


def _record_retry(rt: Runtime, run: RunRef, written: Written, event_ids: list[str], actor: str) -> None:
    """Mark the resent events `retried`, then record what the retry wrote, in one transaction:
    in this order, a record rejected again opens a new event rather than counting on the
    event being retried."""
    with rt.db.begin() as session:
        now = utcnow()
        for event_id in event_ids:
            event = session.get(Event, event_id)
            if event is not None:
                event.status, event.resolved_at, event.resolved_by = "retried", now, actor
        if event_ids:
            first = session.get(Event, event_ids[0])
            audit.record(
                session, actor=actor, action="events.retry", target_type="event",
                target_id=event_ids[0] if len(event_ids) == 1 else None,
                tenant_id=first.tenant_id if first else None, detail={"ids": event_ids},
            )
        session.flush()
        record_answer_in(session, run, written)


async def retry_events(rt: Runtime, tenant_id: str, event_ids: list[str], *, actor: str) -> str:
    """Resend the records of these events (one integration's); returns the retry run's id."""
    integration_id, found = await anyio.to_thread.run_sync(_load, rt, tenant_id, event_ids)
    job = await start(rt, tenant_id, integration_id, "retry")

    async def work(job: Job) -> None:
        await job.reach_org()  # what Salesforce confirms is kept as that org's state
        config = job.loaded.config
        scope = compile_mapping(config.mapping).scope
        has_ext = config.mapping.resolved_external_id() is not None
        writer = Writer(job.loaded.client, config.mapping,
                        SyncMode.UPSERT if has_ext else SyncMode.INSERT,
                        rt.settings.run_write_attempts, intend=intender(job))
        await intents.resolve(rt, job.loaded.integration_id, job.run.org_id, writer)
        records = [
            Diffed(str(e.record_key), dict(e.payload or {}),
                   payload_hash(e.payload or {}, scope), Change.CHANGED if has_ext else Change.NEW,
                   None, 0)
            for e in found
        ]
        job.counts.read = len(records)
        for start_at in range(0, len(records), MAX_RECORDS_PER_COLLECTION):
            chunk = records[start_at : start_at + MAX_RECORDS_PER_COLLECTION]
            written: Written = await writer.write(chunk)
            await anyio.to_thread.run_sync(
                _record_retry, rt, job.run, written,
                [e.id for e in found[start_at : start_at + MAX_RECORDS_PER_COLLECTION]], actor,
            )
            job.counts.created += written.created
            job.counts.updated += written.updated
            job.counts.failed += len(written.rejected)

    return await supervise(job, work)
