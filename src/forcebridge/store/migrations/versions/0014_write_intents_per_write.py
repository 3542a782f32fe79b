"""write intents: one row per write (a collections chunk or a Bulk job), its records as JSON

Revision ID: 0014_write_intents_per_write
Revises: 0013_token_generation
Create Date: 2026-12-03 09:25:00.000000
"""

import sqlalchemy as sa
from alembic import op

from forcebridge.store.types import UTCDateTime

revision = "0014_write_intents_per_write"
down_revision = "0013_token_generation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("write_intents")
    op.create_table(
        "write_intents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(length=18), nullable=True),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_write_intents_integration_id"), "write_intents", ["integration_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_write_intents_integration_id"), table_name="write_intents")
    op.drop_table("write_intents")
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
