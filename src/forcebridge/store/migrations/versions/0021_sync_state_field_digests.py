"""sync_state.field_digests: digests of the compared fields last written (reconciliation)

Revision ID: 0021_sync_state_field_digests
Revises: 0020_run_options
Create Date: 2026-12-03 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_sync_state_field_digests"
down_revision = "0020_run_options"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sync_state", sa.Column("field_digests", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("field_digests")
