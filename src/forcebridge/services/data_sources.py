"""Data sources: the databases and file roots the operator registers and grants to tenants.

Only the operator (an admin API key, or the CLI on the server) registers, changes, grants and
revokes a data source. A tenant's entity sync names a source granted to it and a table, a
query or a file inside it; it never gives a URL or an absolute path. `refuse_inline` and
`check_granted` are what a save checks from the configuration alone; `locate` is what a
save, a plan and every run do before reading: the grant again, then confinement
(`sources.confinement`): a file resolved inside its root and never one of the server's own
files, a database that is not the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forcebridge.errors import Conflict, InvalidInput, NotFound
from forcebridge.runtime import Runtime
from forcebridge.services import audit, tenants, validation
from forcebridge.sources import confinement
from forcebridge.sources.base import SourceRefused
from forcebridge.sources.files import CsvSourceSpec, JsonlSourceSpec
from forcebridge.sources.sql import DEFAULT_TIMEOUT_SECONDS, SqlDatabase, SqlSourceSpec, display_url
from forcebridge.store.data_sources import DataSource, DataSourceGrant
from forcebridge.store.integrations import Integration
from forcebridge.store.models import Tenant

Kind = Literal["sql", "files"]
NAMED_KINDS = {"sql": "sql", "csv": "files", "jsonl": "files"}  # spec kind -> source kind
GrantedSpec = SqlSourceSpec | CsvSourceSpec | JsonlSourceSpec


class DataSourceInput(BaseModel):
    """What the operator says about a data source; on update only the fields given change.

    `tables` narrows a SQL source to those tables (`table`, `schema.table`, `schema.*`):
    a tenant then names one of them and cannot send a query. `role` is a PostgreSQL role every
    read runs as (`SET LOCAL ROLE`); `timeout_seconds` bounds each statement.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, max_length=200)
    kind: Kind | None = None
    url: SecretStr | None = None
    root: str | None = None
    tables: list[str] | None = None
    role: str | None = Field(default=None, max_length=200)
    timeout_seconds: int | None = Field(default=None, ge=1, le=86_400)


# --- the operator's side -------------------------------------------------------------------

def get(session: Session, ref: str) -> DataSource:
    """By id or by name (case-insensitive)."""
    found = session.get(DataSource, ref)
    if found is None:
        found = session.scalar(
            select(DataSource).where(func.lower(DataSource.name) == ref.strip().lower())
        )
    if found is None:
        raise NotFound(f"data source {ref!r} not found")
    return found


def list_all(session: Session) -> list[DataSource]:
    return list(session.scalars(select(DataSource).order_by(DataSource.name)))


def _store_files(rt: Runtime) -> list[Path]:
    """The server's own files no file root may hand out: the store and its secret key."""
    files = [rt.settings.secret_key_file, rt.pending_key_file, rt.previous_key_file]
    url = confinement.parse(rt.settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        files += [Path(url.database + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    return files


def _apply(rt: Runtime, session: Session, source: DataSource, data: DataSourceInput,
           given: set[str]) -> None:
    if "name" in given:
        name = validation.name(data.name or "", "name")
        validation.unique_name(session, DataSource, name, what="a data source",
                               other_than=source.id)
        source.name = name
    if "kind" in given and data.kind and source.kind and data.kind != source.kind:
        raise InvalidInput.field("kind", "cannot change; register a new data source instead")
    if source.kind == "sql":
        if "root" in given and data.root:
            raise InvalidInput.field("root", "a SQL data source has a url, not a root")
        if "url" in given or source.url is None:
            if data.url is None or not data.url.get_secret_value().strip():
                raise InvalidInput.field("url", "is required: the database's SQLAlchemy URL")
            url = data.url.get_secret_value().strip()
            try:
                confinement.readable_database(url, rt.settings.resolved_database_url)
            except confinement.Refused as exc:
                raise InvalidInput.field("url", str(exc)) from None
            source.url = rt.vault.seal(url)
        if "tables" in given:
            source.tables = [t.strip() for t in data.tables or [] if t.strip()]
        if "role" in given:
            source.role = data.role or None
    else:
        for field in ("url", "tables", "role"):
            if field in given and getattr(data, field):
                raise InvalidInput.field(field, "only a SQL data source has one")
        if "root" in given or source.root is None:
            root = (data.root or "").strip()
            if not root or not Path(root).is_absolute():
                raise InvalidInput.field("root", "is required: an absolute directory path")
            if not Path(root).is_dir():
                raise InvalidInput.field("root", f"{root} is not a directory on this server")
            source.root = str(Path(root).resolve())
    if "timeout_seconds" in given:
        source.timeout_seconds = data.timeout_seconds


def create(rt: Runtime, session: Session, data: DataSourceInput, *,
           grant_to: Sequence[str] = (), actor: str = "system") -> SourceView:
    """Register a data source, granted at once to the tenants (names or ids) of `grant_to`."""
    if data.name is None:
        raise InvalidInput.field("name", "is required")
    if data.kind is None:
        raise InvalidInput.field("kind", "is required: sql or files")
    source = DataSource(name="", kind=data.kind, tables=[])
    session.add(source)
    _apply(rt, session, source, data, set(data.model_fields_set))
    session.flush()
    audit.record(session, actor=actor, action="data_source.create", target_type="data_source",
                 target_id=source.id, detail={"name": source.name, "kind": source.kind})
    for tenant_ref in grant_to:
        _grant(session, source, tenant_ref, actor)
    return operator_view(session, rt, source)


def update(rt: Runtime, session: Session, ref: str, data: DataSourceInput, *,
           actor: str = "system") -> SourceView:
    """Change the fields given; integrations that name the source follow a new name."""
    source = get(session, ref)
    given = set(data.model_fields_set)
    old_name = source.name
    _apply(rt, session, source, data, given)
    if source.name != old_name:
        for integration in _users_of(session, old_name):
            config = dict(integration.config)
            config["source"] = {**config["source"], "name": source.name}
            integration.config = config
    audit.record(session, actor=actor, action="data_source.update", target_type="data_source",
                 target_id=source.id, detail={"fields": sorted(given)})
    return operator_view(session, rt, source)


def _users_of(session: Session, name: str, tenant_id: str | None = None) -> list[Integration]:
    """The entity syncs that name the data source `name` (of `tenant_id`, when given)."""
    query = select(Integration).where(Integration.kind == "entity_sync")
    if tenant_id is not None:
        query = query.where(Integration.tenant_id == tenant_id)
    return [
        i for i in session.scalars(query.order_by(Integration.name))
        if NAMED_KINDS.get((i.config.get("source") or {}).get("kind", ""))
        and str((i.config.get("source") or {}).get("name", "")).lower() == name.lower()
    ]


def _in_use(session: Session, source: DataSource, tenant_id: str | None, what: str) -> None:
    using = _users_of(session, source.name, tenant_id)
    if using:
        names = ", ".join(repr(i.name) for i in using)
        raise Conflict(f"data source {source.name!r} is used by {names}: {what}",
                       details=[{"field": "source", "reason": f"used by {names}"}])


def delete(session: Session, ref: str, *, actor: str = "system") -> None:
    """Delete a data source no integration uses (change or delete those first)."""
    source = get(session, ref)
    _in_use(session, source, None, "point them at another data source first")
    audit.record(session, actor=actor, action="data_source.delete", target_type="data_source",
                 target_id=source.id, detail={"name": source.name})
    session.delete(source)


def grants(session: Session, source: DataSource) -> list[Tenant]:
    query = (select(Tenant).join(DataSourceGrant, DataSourceGrant.tenant_id == Tenant.id)
             .where(DataSourceGrant.source_id == source.id).order_by(Tenant.name))
    return list(session.scalars(query))


def grant(rt: Runtime, session: Session, ref: str, tenant_ref: str, *,
          actor: str = "system") -> SourceView:
    """Let a tenant's integrations read the data source (granting twice is a no-op)."""
    source = get(session, ref)
    _grant(session, source, tenant_ref, actor)
    return operator_view(session, rt, source)


def _grant(session: Session, source: DataSource, tenant_ref: str, actor: str) -> None:
    tenant = tenants.find(session, tenant_ref)
    if session.get(DataSourceGrant, (source.id, tenant.id)) is None:
        session.add(DataSourceGrant(source_id=source.id, tenant_id=tenant.id))
        session.flush()
        audit.record(session, actor=actor, action="data_source.grant", target_type="data_source",
                     target_id=source.id, tenant_id=tenant.id, detail={"name": source.name})


def revoke(rt: Runtime, session: Session, ref: str, tenant_ref: str, *, force: bool = False,
           actor: str = "system") -> SourceView:
    """Take a grant back; refused while the tenant's integrations use it, unless `force`
    (their runs then fail, naming the source, until pointed at another one)."""
    source, tenant = get(session, ref), tenants.find(session, tenant_ref)
    found = session.get(DataSourceGrant, (source.id, tenant.id))
    if found is not None:
        if not force:
            _in_use(session, source, tenant.id, "revoke with force to stop them reading it")
        session.delete(found)
        audit.record(session, actor=actor, action="data_source.revoke", target_type="data_source",
                     target_id=source.id, tenant_id=tenant.id, detail={"name": source.name})
    return operator_view(session, rt, source)


class SourceView(BaseModel):
    """A data source as the operator sees it: everything but secrets (a URL's password
    masked)."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: str
    name: str
    kind: str
    url: str | None
    root: str | None
    tables: list[str]
    role: str | None
    timeout_seconds: int | None
    tenants: list[str] = Field(description="Names of the tenants it is granted to.")
    converted_from: str | None
    created_at: datetime
    updated_at: datetime | None


class GrantedSource(BaseModel):
    """What a tenant sees of a source granted to it: never where it is."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    name: str
    kind: str
    tables: list[str]


def operator_view(session: Session, rt: Runtime, source: DataSource) -> SourceView:
    """Everything but secrets: a URL is shown with its password masked."""
    return SourceView.model_validate({
        "id": source.id,
        "name": source.name,
        "kind": source.kind,
        "url": display_url(rt.vault.open(source.url)) if source.url else None,
        "root": source.root,
        "tables": list(source.tables or []),
        "role": source.role,
        "timeout_seconds": source.timeout_seconds,
        "tenants": [t.name for t in grants(session, source)],
        "converted_from": source.converted_from,
        "created_at": source.created_at,
        "updated_at": source.updated_at,
    })


def tenant_view(source: DataSource) -> GrantedSource:
    """What a tenant sees of a source granted to it: never where it is."""
    return GrantedSource(name=source.name, kind=source.kind, tables=list(source.tables or []))


def show(session: Session, rt: Runtime, ref: str) -> SourceView:
    """One data source (id or name) as the operator sees it."""
    return operator_view(session, rt, get(session, ref))


def listing(session: Session, rt: Runtime) -> list[SourceView]:
    """Every data source by name, as the operator sees it."""
    return [operator_view(session, rt, d) for d in list_all(session)]


# --- the tenant's side ---------------------------------------------------------------------

def granted(session: Session, tenant_id: str) -> list[DataSource]:
    query = (select(DataSource).join(DataSourceGrant, DataSourceGrant.source_id == DataSource.id)
             .where(DataSourceGrant.tenant_id == tenant_id).order_by(DataSource.name))
    return list(session.scalars(query))


def tenant_listing(session: Session, tenant_id: str) -> list[GrantedSource]:
    """The sources granted to the tenant, as its people see them."""
    return [tenant_view(d) for d in granted(session, tenant_id)]


def tenant_show(session: Session, tenant_id: str, ref: str) -> GrantedSource:
    """A source granted to the tenant, by id or name; one not granted to it is not found."""
    for source in granted(session, tenant_id):
        if ref in (source.id, source.name) or ref.lower() == source.name.lower():
            return tenant_view(source)
    raise NotFound(f"data source {ref!r} not found")


def _allowed(session: Session, tenant_id: str, kind: str) -> str:
    names = [s.name for s in granted(session, tenant_id) if s.kind == kind]
    what = "SQL data sources" if kind == "sql" else "file roots"
    if not names:
        return (f"no {what} are granted to this tenant; the operator registers and grants "
                "them (forcebridge sources add / grant)")
    return f"{what} granted to this tenant: {', '.join(names)}"


def _refused(field: str, reason: str) -> SourceRefused:
    return SourceRefused(f"config.source.{field}: {reason}",
                         details=[{"field": f"config.source.{field}", "reason": reason}])


def _granted_source(session: Session, tenant_id: str, name: str, kind: str) -> DataSource:
    found = session.scalar(
        select(DataSource).join(DataSourceGrant, DataSourceGrant.source_id == DataSource.id)
        .where(DataSourceGrant.tenant_id == tenant_id,
               func.lower(DataSource.name) == name.strip().lower())
    )
    if found is None:  # another tenant's source and no source at all read the same
        raise _refused("name", f"{name!r} is not a data source granted to this tenant; "
                       + _allowed(session, tenant_id, kind))
    if found.kind != kind:
        raise _refused("name", f"{found.name!r} is a {found.kind} data source; "
                       + _allowed(session, tenant_id, kind))
    return found


def _absolute(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute() \
        or bool(PureWindowsPath(path).drive) or path.startswith("~")


def refuse_inline(session: Session, tenant_id: str, source: Any) -> None:
    """Refuse, before the config is parsed, what a tenant may never give: a database URL or
    an absolute path (the message says what it may name instead)."""
    if not isinstance(source, dict):
        return
    kind = NAMED_KINDS.get(str(source.get("kind", "")))
    if kind is None:
        return  # push, or a kind the config model refuses with its own message
    if "url" in source:
        raise _refused("url", "an integration cannot give a database URL; it names a data "
                       "source (config.source.name) that the operator registered and granted: "
                       + _allowed(session, tenant_id, kind))
    path = source.get("path")
    if isinstance(path, str) and _absolute(path.strip()):
        raise _refused("path", f"{path!r} is absolute: give a path relative to the root of "
                       "the data source named in config.source.name")


def check_granted(session: Session, tenant_id: str, spec: Any) -> None:
    """Refuse a parsed source that names a data source not granted to the tenant, or a table
    (or a query) the data source does not let it read."""
    if not isinstance(spec, GrantedSpec):
        return
    found = _granted_source(session, tenant_id, spec.name, NAMED_KINDS[spec.kind])
    if isinstance(spec, SqlSourceSpec):
        _check_tables(found, spec.table, spec.query)


def _check_tables(found: DataSource, table: Any, query: Any) -> None:
    allowed = list(found.tables or [])
    if not allowed:
        return
    listed = ", ".join(allowed)
    if query is not None:
        raise _refused("query", f"data source {found.name!r} is limited to some tables "
                       f"({listed}): name one in config.source.table instead of a query")
    if isinstance(table, str) and not confinement.table_allowed(table, allowed):
        raise _refused("table", f"{table!r} is not readable in data source {found.name!r}; "
                       f"allowed: {listed}")


def locate(rt: Runtime, session: Session, tenant_id: str, spec: GrantedSpec) -> SqlDatabase | Path:
    """Where `spec` reads, checked as of now: the granted database, or its file resolved
    inside the granted root. `SourceRefused` names the field when it is out of reach."""
    kind = NAMED_KINDS[spec.kind]
    found = _granted_source(session, tenant_id, spec.name, kind)
    if isinstance(spec, SqlSourceSpec):
        _check_tables(found, spec.table, spec.query)
        assert found.url is not None
        url = rt.vault.open(found.url)
        try:
            confinement.readable_database(url, rt.settings.resolved_database_url)
        except confinement.Refused as exc:
            raise _refused("name", f"data source {found.name!r} {exc}") from None
        return SqlDatabase(
            name=found.name, url=SecretStr(url), role=found.role,
            timeout_seconds=found.timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
            tables=tuple(found.tables or ()),
        )
    assert found.root is not None
    try:
        path = confinement.inside(found.root, spec.path)
    except confinement.Refused as exc:
        raise _refused("path", str(exc)) from None
    if confinement.forbidden_file(path, _store_files(rt)):
        raise _refused("path", f"{spec.path!r} is one of forcebridge's own files (its store or "
                       "its secret key), which are never a data source")
    return path
