"""runs.options: how a run queued for a worker is to run (full, reconcile)

Revision ID: 0020_run_options
Revises: 0019_connection_api_budget
Create Date: 2026-12-03 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_run_options"
down_revision = "0019_connection_api_budget"
branch_labels = None
depends_on = None


# Plain ALTER TABLE: a batch copy of `runs` would set every event's run_id to NULL (see 0017).
def upgrade() -> None:
    op.add_column("runs", sa.Column("options", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE runs SET status = 'failed' WHERE status = 'queued'")
    op.drop_column("runs", "options")
