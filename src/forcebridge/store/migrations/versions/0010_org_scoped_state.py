"""sync state and cursors belong to the org that confirmed them; runs keep a reconciliation

Existing rows are assigned to the org the integration's connection was last authorized
against (`connections.org_id`); where that is unknown (no connection, never authorized) they
get org id '' and the first run that reaches an org adopts them (runs.org).

Revision ID: 0010_org_state
Revises: 0009
Create Date: 2026-12-03 09:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

from forcebridge.store.types import UTCDateTime

revision = "0010_org_state"
down_revision = "0009"
branch_labels = None
depends_on = None

# the org id of the connection an integration is attached to, '' when none is known
_STATE_ORG = (
    "COALESCE((SELECT c.org_id FROM integrations i JOIN connections c ON c.id = i.connection_id "
    "WHERE i.id = sync_state.integration_id), '')"
)
_CURSOR_ORG = (
    "COALESCE((SELECT c.org_id FROM integrations i JOIN connections c ON c.id = i.connection_id "
    "WHERE i.id = sync_cursors.integration_id), '')"
)


def _state_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=False),
        sa.Column("salesforce_id", sa.String(length=18), nullable=True),
        sa.Column("synced_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("raw_hash", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id", "org_id", "key"),
    )


def _cursor_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id", "org_id"),
    )


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reconciliation", sa.JSON(), nullable=True))
    # new tables copied into, then renamed: the primary key changes, which SQLite cannot alter
    _state_table("sync_state_new")
    op.execute(
        'INSERT INTO sync_state_new (integration_id, org_id, "key", hash, salesforce_id, '  # noqa: S608
        f"synced_at, raw_hash) SELECT integration_id, {_STATE_ORG}, "
        '"key", hash, salesforce_id, synced_at, raw_hash FROM sync_state'
    )
    op.drop_table("sync_state")
    op.rename_table("sync_state_new", "sync_state")
    _cursor_table("sync_cursors_new")
    op.execute(
        "INSERT INTO sync_cursors_new (integration_id, org_id, fingerprint, value, run_id, "  # noqa: S608
        f"updated_at) SELECT integration_id, {_CURSOR_ORG}, "
        "fingerprint, value, run_id, updated_at FROM sync_cursors"
    )
    op.drop_table("sync_cursors")
    op.rename_table("sync_cursors_new", "sync_cursors")


def downgrade() -> None:
    """Back to one state per integration: the rows of the org its connection reaches; other
    orgs' state is dropped."""
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("reconciliation")
    op.create_table(
        "sync_state_old",
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=False),
        sa.Column("salesforce_id", sa.String(length=18), nullable=True),
        sa.Column("synced_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("raw_hash", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id", "key"),
    )
    op.execute(
        'INSERT INTO sync_state_old (integration_id, "key", hash, salesforce_id, synced_at, '  # noqa: S608
        'raw_hash) SELECT integration_id, "key", hash, salesforce_id, synced_at, raw_hash '
        f"FROM sync_state WHERE org_id = {_STATE_ORG}"
    )
    op.drop_table("sync_state")
    op.rename_table("sync_state_old", "sync_state")
    op.create_table(
        "sync_cursors_old",
        sa.Column("integration_id", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("integration_id"),
    )
    op.execute(
        "INSERT INTO sync_cursors_old (integration_id, fingerprint, value, run_id, updated_at) "  # noqa: S608
        "SELECT integration_id, fingerprint, value, run_id, updated_at FROM sync_cursors "
        f"WHERE org_id = {_CURSOR_ORG}"
    )
    op.drop_table("sync_cursors")
    op.rename_table("sync_cursors_old", "sync_cursors")
