"""Data sources granted to a tenant, as the operator registers them, for tests that read one."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.orm import Session

from forcebridge.runtime import Runtime
from forcebridge.services import data_sources
from forcebridge.services.data_sources import DataSourceInput
from forcebridge.store.data_sources import DataSource


def _register(rt: Runtime, tenant_id: str, data: DataSourceInput) -> str:
    assert data.name is not None
    with rt.db.begin() as s:
        found = s.query(DataSource).filter_by(name=data.name).one_or_none()
        source = found or data_sources.create(rt, s, data)
        data_sources.grant(rt, s, source.id, tenant_id)
        return source.name


def grant_files(rt: Runtime, tenant_id: str, root: Path, name: str = "files") -> str:
    """A file root at `root` granted to the tenant (shared when already registered)."""
    return _register(rt, tenant_id, DataSourceInput(name=name, kind="files", root=str(root)))


def grant_sql(rt: Runtime, tenant_id: str, url: str, name: str = "db", **kw: object) -> str:
    """A SQL database at `url` granted to the tenant (shared when already registered)."""
    return _register(rt, tenant_id,
                     DataSourceInput(name=name, kind="sql", url=SecretStr(url), **kw))


def grant_files_in(session: Session, rt: Runtime, tenant_id: str, root: Path,
                   name: str = "files") -> str:
    """As `grant_files`, inside the caller's transaction (the tenant may be new in it)."""
    found = session.query(DataSource).filter_by(name=name).one_or_none()
    source = found or data_sources.create(
        rt, session, DataSourceInput(name=name, kind="files", root=str(root)))
    data_sources.grant(rt, session, source.id, tenant_id)
    return source.name
