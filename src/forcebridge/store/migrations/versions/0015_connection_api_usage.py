"""connections: the org's API usage as last reported (Sforce-Limit-Info), for metrics and alerts

Revision ID: 0015_connection_api_usage
Revises: 0014_write_intents_per_write
Create Date: 2026-12-03 12:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_connection_api_usage"
down_revision = "0014_write_intents_per_write"
branch_labels = None
depends_on = None


# Plain ALTER TABLE: a batch copy of `connections` would cascade deletes (see 0011).
def upgrade() -> None:
    op.add_column("connections", sa.Column("api_used", sa.Integer(), nullable=True))
    op.add_column("connections", sa.Column("api_allocation", sa.Integer(), nullable=True))
    op.add_column("connections",
                  sa.Column("api_usage_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("connections", "api_usage_at")
    op.drop_column("connections", "api_allocation")
    op.drop_column("connections", "api_used")
