"""connections: a CA bundle to trust for the org's TLS certificate

Revision ID: 0011_connection_ca_bundle
Revises: 0010_org_state
Create Date: 2026-12-03 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_connection_ca_bundle"
down_revision = "0010_org_state"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite 3.35+ drops columns): a batch copy of `connections` would cascade
# deletes into the tables that reference it.
def upgrade() -> None:
    op.add_column("connections", sa.Column("ca_bundle", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    op.drop_column("connections", "ca_bundle")
