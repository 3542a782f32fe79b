"""Runs and events: what each run did, and every failure kept until someone resolves it.

An event is the unit of "something needs a person": a record Salesforce rejected (with its
code, fields, key and the payload sent), a run that could not finish, a form post or an
outbox delivery that was given up on. Events stay `open` until resolved or retried.

A record of an entity sync that fails again for the same reason is the same problem, not a
new one: there is at most one open event per integration, kind, record key and error code
(`ux_events_open_record`), and a repeat raises its `occurrences` and `last_seen_at`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import IdColumn, new_id, utcnow

RUN_STATUSES = ("queued", "running", "waiting_for_api_budget", "succeeded", "partial",
                "failed")
RUN_TRIGGERS = ("schedule", "manual", "api", "retry")
EVENT_STATUSES = ("open", "resolved", "retried")
# Events about one record of an entity sync, named by its key: a repeat counts on the open one.
# (Not outbox or form events: their key is an ordering key or a post, each message its own.)
RECORD_EVENT_KINDS = ("record_rejected", "record_invalid", "delete_rejected")
OPEN_RECORD_EVENT = (
    "status = 'open' AND record_key IS NOT NULL AND kind IN "
    f"({', '.join(repr(k) for k in RECORD_EVENT_KINDS)})"
)


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_integration_started", "integration_id", "started_at"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE")
    )
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), default="running")
    scheduled_for: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the run is taken for dead past this (three heartbeat periods after the last beat)
    alive_until: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    read: Mapped[int] = mapped_column(Integer, default=0)
    filtered: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    # how a queued run is to run ({"full": ..., "reconcile": ...}), for a worker to start it
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # a reconciling run's findings (runs.reconcile.Reconciliation); None for other runs
    reconciliation: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # where the run's process lives: on the same host a dead pid ends the run at once
    host: Mapped[str | None] = mapped_column(String(255), default=None)
    pid: Mapped[int | None] = mapped_column(Integer, default=None)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_integration_status", "integration_id", "status"),
        Index("ux_events_open_record", "integration_id", "kind", "record_key", "error_code",
              unique=True, sqlite_where=text(OPEN_RECORD_EVENT),
              postgresql_where=text(OPEN_RECORD_EVENT)),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE")
    )
    run_id: Mapped[str | None] = mapped_column(  # the run that opened it
        ForeignKey("runs.id", ondelete="SET NULL"), default=None, index=True
    )
    last_run_id: Mapped[str | None] = mapped_column(  # the run that saw it last
        ForeignKey("runs.id", ondelete="SET NULL"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="open")
    record_key: Mapped[str | None] = mapped_column(String(255), default=None)
    error_code: Mapped[str | None] = mapped_column(String(100), default=None)
    message: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    occurrences: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
