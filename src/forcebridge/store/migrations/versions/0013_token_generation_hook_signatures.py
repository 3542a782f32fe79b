"""api client token generation (end tokens now); signatures a signed hook accepted (replays)

Revision ID: 0013_token_generation
Revises: 0012_granted_sources
Create Date: 2026-12-03 09:25:00.000000
"""

import sqlalchemy as sa
from alembic import op

from forcebridge.store.types import UTCDateTime

revision = "0013_token_generation"
down_revision = "0012_granted_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_clients") as batch:
        batch.add_column(
            sa.Column("token_generation", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "hook_signatures",
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id", "signature"),
    )
    op.create_index("ix_hook_signatures_signed_at", "hook_signatures", ["signed_at"])


def downgrade() -> None:
    op.drop_index("ix_hook_signatures_signed_at", table_name="hook_signatures")
    op.drop_table("hook_signatures")
    with op.batch_alter_table("api_clients") as batch:
        batch.drop_column("token_generation")
