"""runs.status up to 30 characters: a run can be `waiting_for_api_budget`

Revision ID: 0017_run_status_waiting
Revises: 0016_alert_channels
Create Date: 2026-12-03 12:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_run_status_waiting"
down_revision = "0016_alert_channels"
branch_labels = None
depends_on = None


def _alter(length: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("runs", "status", type_=sa.String(length=length),
                        existing_type=sa.String(length=30 if length == 20 else 20),
                        existing_nullable=False)
        return
    # SQLite cannot change a column's type in place, and a batch copy of `runs` would drop
    # the table and set every event's run_id to NULL: a new column by plain ALTER TABLE
    op.add_column("runs", sa.Column("status_new", sa.String(length=length), nullable=False,
                                    server_default="running"))
    op.execute("UPDATE runs SET status_new = status")
    op.drop_column("runs", "status")
    op.alter_column("runs", "status_new", new_column_name="status")


def upgrade() -> None:
    _alter(30)


def downgrade() -> None:
    op.execute("UPDATE runs SET status = 'running' WHERE status = 'waiting_for_api_budget'")
    _alter(20)
