"""granted data sources: inline SQL URLs and file paths become sources granted to their tenant

Revision ID: 0012_granted_sources
Revises: 0011_connection_ca_bundle
Create Date: 2026-12-03 09:10:00.000000

Every entity sync that gave its own SQL URL or file path is turned into one that names a
data source granted to its tenant, so nothing stops working: a SQL URL (still sealed, copied
as sealed) becomes a source of its own; file paths become a file root (the file's directory,
one per tenant and directory) and a path inside it. Each conversion is logged and recorded in
`data_sources.converted_from`, which `forcebridge db upgrade` and `sources list` show.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from typing import Any

import sqlalchemy as sa
from alembic import op

from forcebridge.store.types import IdColumn, SealedText, UTCDateTime, new_id, utcnow

revision = "0012_granted_sources"
down_revision = "0011_connection_ca_bundle"
branch_labels = None
depends_on = None

_logger = logging.getLogger("forcebridge.migrations")

_integrations = sa.table(
    "integrations",
    sa.column("id", sa.String), sa.column("tenant_id", sa.String), sa.column("name", sa.String),
    sa.column("kind", sa.String), sa.column("config", sa.JSON),
    sa.column("source_url", sa.Text),
)
_tenants = sa.table("tenants", sa.column("id", sa.String), sa.column("name", sa.String))
_sources = sa.table(
    "data_sources",
    sa.column("id", sa.String), sa.column("name", sa.String), sa.column("kind", sa.String),
    sa.column("url", sa.Text), sa.column("root", sa.Text), sa.column("tables", sa.JSON),
    sa.column("converted_from", sa.Text), sa.column("created_at", UTCDateTime(timezone=True)),
    sa.column("updated_at", UTCDateTime(timezone=True)),
)
_grants = sa.table(
    "data_source_grants", sa.column("source_id", sa.String), sa.column("tenant_id", sa.String),
    sa.column("created_at", UTCDateTime(timezone=True)),
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "source"


def upgrade() -> None:
    op.create_table(
        "data_sources",
        sa.Column("id", IdColumn, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("url", SealedText(), nullable=True),
        sa.Column("root", sa.Text(), nullable=True),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("timeout_seconds", sa.Integer(), nullable=True),
        sa.Column("converted_from", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "data_source_grants",
        sa.Column("source_id", IdColumn, nullable=False),
        sa.Column("tenant_id", IdColumn, nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["data_sources.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("source_id", "tenant_id"),
    )
    op.create_index(
        op.f("ix_data_source_grants_tenant_id"), "data_source_grants", ["tenant_id"], unique=False
    )
    _convert(op.get_bind())
    _drop_source_url(op.get_bind())


def _drop_source_url(conn: sa.Connection) -> None:
    """Drop the column in place. On SQLite a batch rebuild would drop the integrations table,
    and with foreign keys on, that cascades to every run, event and sync state."""
    if conn.dialect.name == "sqlite":
        if sqlite3.sqlite_version_info < (3, 35):
            raise RuntimeError("upgrading needs SQLite 3.35 or newer (ALTER TABLE DROP COLUMN)")
        op.execute("ALTER TABLE integrations DROP COLUMN source_url")
    else:
        op.drop_column("integrations", "source_url")


def _convert(conn: sa.Connection) -> None:
    tenants = dict(conn.execute(sa.select(_tenants.c.id, _tenants.c.name)).all())
    rows = conn.execute(
        sa.select(_integrations).where(_integrations.c.kind == "entity_sync")
        .order_by(_integrations.c.tenant_id, _integrations.c.name)
    ).all()
    taken: set[str] = set()
    roots: dict[tuple[str, str], str] = {}  # (tenant, directory) -> source name

    def add(base: str, values: dict[str, Any], tenant_id: str, what: str) -> str:
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        source_id, now = new_id(), utcnow()
        conn.execute(sa.insert(_sources).values(
            id=source_id, name=name, tables=[], converted_from=what, created_at=now,
            updated_at=now, **values))
        conn.execute(sa.insert(_grants).values(source_id=source_id, tenant_id=tenant_id,
                                               created_at=now))
        _logger.warning("converted an inline source into granted data source %r (%s)", name,
                        what, extra={"fields": {"data_source": name, "converted_from": what}})
        return name

    for row in rows:
        config = dict(row.config or {})
        source = dict(config.get("source") or {})
        kind = source.get("kind")
        tenant = tenants.get(row.tenant_id, row.tenant_id)
        what = f"integration {row.name!r} of tenant {tenant!r}"
        if kind == "sql" and row.source_url and "name" not in source:
            name = add(f"{_slug(tenant)}-{_slug(row.name)}", {"kind": "sql", "url": row.source_url},
                       row.tenant_id, what)
            source.pop("url", None)
        elif kind in ("csv", "jsonl") and source.get("path") and "name" not in source:
            full = os.path.abspath(str(source["path"]))
            directory, file = os.path.split(full)
            name = roots.get((row.tenant_id, directory)) or ""
            if not name:
                name = add(f"{_slug(tenant)}-files", {"kind": "files", "root": directory},
                           row.tenant_id, f"{what}, directory {directory}")
                roots[(row.tenant_id, directory)] = name
            source["path"] = file
        else:
            continue
        config["source"] = {"kind": kind, "name": name,
                            **{k: v for k, v in source.items() if k != "kind"}}
        conn.execute(sa.update(_integrations).where(_integrations.c.id == row.id)
                     .values(config=config))


def downgrade() -> None:
    op.add_column("integrations", sa.Column("source_url", SealedText(), nullable=True))
    conn = op.get_bind()
    sources = {r.name: r for r in conn.execute(sa.select(_sources)).all()}
    for row in conn.execute(
        sa.select(_integrations).where(_integrations.c.kind == "entity_sync")
    ).all():
        config = dict(row.config or {})
        source = dict(config.get("source") or {})
        found = sources.get(source.pop("name", None))
        if found is None:
            continue
        values: dict[str, Any] = {}
        if found.kind == "sql":
            source["url"] = None
            values["source_url"] = found.url
        else:
            source["path"] = os.path.join(found.root, source.get("path", ""))
        config["source"] = source
        conn.execute(sa.update(_integrations).where(_integrations.c.id == row.id)
                     .values(config=config, **values))
    op.drop_index(op.f("ix_data_source_grants_tenant_id"), table_name="data_source_grants")
    op.drop_table("data_source_grants")
    op.drop_table("data_sources")
