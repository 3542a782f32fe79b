"""runs record their host, pid and how long they are alive; write intents of creates not yet recorded

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

from forcebridge.store.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alive_until", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
    op.create_table(
        "write_intents",
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=False),
        sa.Column("raw_hash", sa.String(length=32), nullable=True),
        sa.Column("match_value", sa.Text(), nullable=True),
        sa.Column("job_id", sa.String(length=18), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("write_intents")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
        batch_op.drop_column("alive_until")
