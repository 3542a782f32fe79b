"""alert channels, their incidents and the messages waiting to reach them

Revision ID: 0016_alert_channels
Revises: 0015_connection_api_usage
Create Date: 2026-12-03 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from forcebridge.store.types import IdColumn, SealedText, UTCDateTime

revision = "0016_alert_channels"
down_revision = "0015_connection_api_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("id", IdColumn, nullable=False),
        sa.Column("tenant_id", IdColumn, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", SealedText(), nullable=True),
        sa.Column("signing_secret", SealedText(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("failed_runs", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_alert_channels_tenant_name"),
    )
    op.create_index("ix_alert_channels_tenant_id", "alert_channels", ["tenant_id"])
    op.create_table(
        "alert_incidents",
        sa.Column("id", IdColumn, nullable=False),
        sa.Column("channel_id", IdColumn, nullable=False),
        sa.Column("tenant_id", IdColumn, nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("open_key", sa.String(length=100), nullable=True),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["alert_channels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "open_key", name="uq_alert_incidents_open"),
    )
    op.create_index("ix_alert_incidents_tenant_id", "alert_incidents", ["tenant_id"])
    op.create_index("ix_alert_incidents_channel_opened", "alert_incidents",
                    ["channel_id", "opened_at"])
    op.create_table(
        "alert_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", IdColumn, nullable=False),
        sa.Column("incident_id", IdColumn, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["alert_channels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["incident_id"], ["alert_incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_messages_due", "alert_messages", ["status", "next_attempt_at"])
    op.create_index("ix_alert_messages_channel_id", "alert_messages", ["channel_id"])
    op.create_index("ix_alert_messages_incident_id", "alert_messages", ["incident_id"])


def downgrade() -> None:
    op.drop_table("alert_messages")
    op.drop_table("alert_incidents")
    op.drop_table("alert_channels")
