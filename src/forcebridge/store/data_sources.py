"""Data sources the operator registers and grants to tenants.

A data source is a SQL database (its URL sealed, as every secret) or a file root (a
directory); an entity sync names one by name, with a table, a query or a file inside it, and
may only name the ones granted to its tenant. `tables` optionally narrows a SQL source to some
tables (`schema.table`, `table` or `schema.*`); `role` is a PostgreSQL role the reads run
as; `converted_from` says which integration's inline source an upgrade turned into this one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forcebridge.store.models import Base
from forcebridge.store.types import IdColumn, SealedText, new_id, utcnow


class DataSource(Base):
    __tablename__ = "data_sources"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "sql" or "files"
    url: Mapped[str | None] = mapped_column(SealedText, default=None)
    root: Mapped[str | None] = mapped_column(Text, default=None)
    tables: Mapped[list[str]] = mapped_column(JSON, default=list)
    role: Mapped[str | None] = mapped_column(String(200), default=None)
    timeout_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    converted_from: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"DataSource(id={self.id!r}, name={self.name!r}, kind={self.kind!r})"


class DataSourceGrant(Base):
    """One tenant may read one data source."""

    __tablename__ = "data_source_grants"

    source_id: Mapped[str] = mapped_column(
        ForeignKey("data_sources.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
