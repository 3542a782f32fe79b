"""events: one open event per record and reason, with its occurrences and last sighting

Revision ID: 0008_event_occurrences
Revises: 0007
Create Date: 2026-12-03 09:10:00.000000

Open record events that repeat one another (same integration, kind, record key and error
code) are folded at upgrade into the oldest: it keeps its id and first sighting, takes the
newest one's message, fields, payload and run as its last sighting, and counts them all.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from forcebridge.store.types import UTCDateTime

revision = "0008_event_occurrences"
down_revision = "0007"
branch_labels = None
depends_on = None

RECORD_EVENT_KINDS = ("record_rejected", "record_invalid", "delete_rejected")
OPEN_RECORD_EVENT = (
    "status = 'open' AND record_key IS NOT NULL AND kind IN "
    f"({', '.join(repr(k) for k in RECORD_EVENT_KINDS)})"
)

events = sa.table(
    "events",
    sa.column("id", sa.String), sa.column("integration_id", sa.String),
    sa.column("run_id", sa.String), sa.column("last_run_id", sa.String),
    sa.column("kind", sa.String), sa.column("status", sa.String),
    sa.column("record_key", sa.String), sa.column("error_code", sa.String),
    sa.column("message", sa.Text), sa.column("fields", sa.JSON), sa.column("payload", sa.JSON),
    sa.column("created_at", UTCDateTime(timezone=True)),
    sa.column("last_seen_at", UTCDateTime(timezone=True)),
    sa.column("occurrences", sa.Integer),
)


def _fold_repeats(bind: sa.Connection) -> None:
    c = events.c
    key = (c.integration_id, c.kind, c.record_key, c.error_code)
    groups = bind.execute(
        sa.select(*key).where(sa.text(OPEN_RECORD_EVENT)).group_by(*key)
        .having(sa.func.count() > 1)
    ).all()
    for integration_id, kind, record_key, error_code in groups:
        code = c.error_code.is_(None) if error_code is None else c.error_code == error_code
        rows: Sequence[Any] = bind.execute(
            sa.select(c.id, c.created_at, c.run_id, c.message, c.fields, c.payload)
            .where(sa.text(OPEN_RECORD_EVENT), c.integration_id == integration_id,
                   c.kind == kind, c.record_key == record_key, code)
            .order_by(c.created_at, c.id)
        ).all()
        first, last = rows[0], rows[-1]
        bind.execute(
            events.update().where(c.id == first.id).values(
                occurrences=len(rows), last_seen_at=last.created_at, last_run_id=last.run_id,
                message=last.message, fields=last.fields, payload=last.payload,
            )
        )
        bind.execute(events.delete().where(c.id.in_([r.id for r in rows[1:]])))


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_run_id", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("occurrences", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=True)
        )
    bind = op.get_bind()
    bind.execute(events.update().values(last_seen_at=events.c.created_at,
                                        last_run_id=events.c.run_id))
    _fold_repeats(bind)
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("last_seen_at", existing_type=UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.create_foreign_key(
            "fk_events_last_run_id_runs", "runs", ["last_run_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_events_last_run_id", ["last_run_id"], unique=False)
        batch_op.create_index(
            "ux_events_open_record", ["integration_id", "kind", "record_key", "error_code"],
            unique=True, sqlite_where=sa.text(OPEN_RECORD_EVENT),
            postgresql_where=sa.text(OPEN_RECORD_EVENT),
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ux_events_open_record")
        batch_op.drop_index("ix_events_last_run_id")
        batch_op.drop_constraint("fk_events_last_run_id_runs", type_="foreignkey")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("occurrences")
        batch_op.drop_column("last_run_id")
