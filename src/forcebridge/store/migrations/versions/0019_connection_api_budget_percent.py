"""connections: the share of the org's daily API allocation its runs may use, in percent

Revision ID: 0019_connection_api_budget
Revises: 0018_write_intents_per_org
Create Date: 2026-12-03 15:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_connection_api_budget"
down_revision = "0018_write_intents_per_org"
branch_labels = None
depends_on = None


# Plain ALTER TABLE: a batch copy of `connections` would cascade deletes (see 0011).
def upgrade() -> None:
    op.add_column("connections", sa.Column("api_budget_percent", sa.Integer(), nullable=False,
                                           server_default="80"))


def downgrade() -> None:
    op.drop_column("connections", "api_budget_percent")
