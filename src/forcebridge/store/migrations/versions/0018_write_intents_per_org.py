"""write intents belong to the org the write went to

Revision ID: 0018_write_intents_per_org
Revises: 0017_run_status_waiting
Create Date: 2026-12-03 15:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_write_intents_per_org"
down_revision = "0017_run_status_waiting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # intents from before are of an org nobody recorded: '' (settled by the next run)
    op.add_column("write_intents", sa.Column("org_id", sa.String(length=18), nullable=False,
                                             server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("write_intents") as batch:
        batch.drop_column("org_id")
