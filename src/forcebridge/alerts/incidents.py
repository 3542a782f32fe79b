"""Opening and resolving incidents: what each enabled channel is told, once per incident.

An evaluation compares what holds now (alerts.rules) with each channel's open incidents: a
new condition opens an incident and queues its `opened` message, an incident whose condition
no longer holds is resolved and queues its `resolved` message, in one transaction per
channel. Two processes evaluating at once cannot both open one incident (the open key is
unique) nor both resolve it (the resolve is a conditional UPDATE).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forcebridge import log
from forcebridge.alerts import messages
from forcebridge.alerts.rules import Condition, holding
from forcebridge.runtime import Runtime
from forcebridge.store.alerts import AlertChannel, AlertIncident, AlertMessage
from forcebridge.store.models import Tenant
from forcebridge.store.types import utcnow

_logger = log.get("alerts")


def evaluate(rt: Runtime, now: datetime | None = None) -> int:
    """One evaluation of every enabled channel; how many messages it queued."""
    moment = now or utcnow()
    with rt.db.session() as session:
        channel_ids = list(session.scalars(
            select(AlertChannel.id).where(AlertChannel.enabled.is_(True))))
    queued = 0
    for channel_id in channel_ids:
        try:
            with rt.db.begin() as session:
                queued += _evaluate_channel(rt, session, channel_id, moment)
        except IntegrityError:
            # another process opened the same incident first: it queued the message
            log.event(_logger, "alert evaluation raced another process", channel_id=channel_id)
    return queued


def _evaluate_channel(rt: Runtime, session: Session, channel_id: str, now: datetime) -> int:
    channel = session.get(AlertChannel, channel_id)
    if channel is None or not channel.enabled:
        return 0
    tenant = session.get(Tenant, channel.tenant_id)
    tenant_name = tenant.name if tenant else ""
    grace = timedelta(seconds=rt.settings.alert_schedule_grace_seconds)
    now_holding = holding(session, channel.tenant_id, list(channel.rules),
                          channel.failed_runs, now, grace)
    open_incidents = {i.open_key or "": i for i in session.scalars(
        select(AlertIncident).where(AlertIncident.channel_id == channel.id,
                                    AlertIncident.open_key.is_not(None)))}
    public_url = rt.settings.resolved_public_url
    queued = 0
    for key, condition in now_holding.items():
        if key in open_incidents:
            continue
        incident = AlertIncident(
            channel_id=channel.id, tenant_id=channel.tenant_id, rule=condition.rule,
            subject_type=condition.subject_type, subject_id=condition.subject_id,
            subject_name=condition.subject_name, summary=condition.summary, open_key=key,
            opened_at=now)
        session.add(incident)
        session.flush()
        session.add(AlertMessage(
            channel_id=channel.id, incident_id=incident.id, kind="opened", next_attempt_at=now,
            body=messages.incident_body(
                "opened", tenant=tenant_name, channel=channel.name, incident_id=incident.id,
                condition=condition, opened_at=now, resolved_at=None, public_url=public_url)))
        log.event(_logger, "alert opened", channel_id=channel.id, rule=condition.rule,
                  subject_id=condition.subject_id)
        queued += 1
    for open_key, incident in open_incidents.items():
        if open_key in now_holding:
            continue
        done = session.execute(
            update(AlertIncident)
            .where(AlertIncident.id == incident.id, AlertIncident.open_key.is_not(None))
            .values(open_key=None, resolved_at=now)
            .execution_options(synchronize_session=False))
        if not getattr(done, "rowcount", 0):
            continue  # resolved by another process meanwhile
        condition = Condition(incident.rule, incident.subject_type, incident.subject_id,
                              incident.subject_name, incident.summary)
        session.add(AlertMessage(
            channel_id=channel.id, incident_id=incident.id, kind="resolved", next_attempt_at=now,
            body=messages.incident_body(
                "resolved", tenant=tenant_name, channel=channel.name, incident_id=incident.id,
                condition=condition, opened_at=incident.opened_at, resolved_at=now,
                public_url=public_url)))
        log.event(_logger, "alert resolved", channel_id=channel.id, rule=incident.rule,
                  subject_id=incident.subject_id)
        queued += 1
    return queued
