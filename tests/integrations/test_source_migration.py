"""Upgrading a store made at revision 0006: inline SQL URLs and file paths become data sources
granted to their tenant, so every integration keeps reading what it read."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from forcebridge.runtime import Runtime
from forcebridge.services import data_sources, integrations
from forcebridge.settings import Settings
from forcebridge.sources import SqlDatabase
from forcebridge.store import migrate
from forcebridge.store.integrations import Integration
from forcebridge.store.types import new_id, utcnow
from forcebridge.sync.config import EntitySyncConfig

MAPPING = {"target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
           "mappings": [{"field": "Invoice_Number__c", "column": "number"}]}


def _integration(tenant_id: str, name: str, source: dict[str, Any],
                 source_url: str | None = None) -> dict[str, Any]:
    now = utcnow()
    return {"id": new_id(), "tenant_id": tenant_id, "name": name, "kind": "entity_sync",
            "config": {"source": source, "mapping": MAPPING}, "source_url": source_url,
            "enabled": True, "failure_streak": 0, "notify_user_ids": [], "created_at": now,
            "updated_at": now}


def old_store(rt: Runtime, files: Path) -> None:
    """Two tenants at revision 0006: SQL URLs sealed in `source_url`, absolute file paths."""
    migrate.upgrade(rt.db, "0006")
    meta = sa.MetaData()
    tenants_t = sa.Table("tenants", meta, autoload_with=rt.db.engine)
    integrations_t = sa.Table("integrations", meta, autoload_with=rt.db.engine)
    acme, globex = new_id(), new_id()
    billing = f"sqlite:///{files / 'billing.db'}"
    with rt.db.engine.begin() as conn:
        conn.execute(tenants_t.insert(), [{"id": acme, "name": "Acme", "created_at": utcnow()},
                                         {"id": globex, "name": "globex", "created_at": utcnow()}])
        csv = {"kind": "csv", "key_column": "number"}
        conn.execute(integrations_t.insert(), [
            _integration(acme, "Billing DB",
                         {"kind": "sql", "url": None, "table": "invoices",
                          "key_column": "number"}, rt.vault.seal(billing)),
            _integration(acme, "invoices", {**csv, "path": str(files / "a.csv")}),
            _integration(acme, "more", {**csv, "path": str(files / "b.csv")}),
            _integration(globex, "invoices",
                         {**csv, "path": str(files / "sub" / "c.csv")}),
            _integration(globex, "pushed",
                         {"kind": "push", "key_column": "number"}),
        ])
        # what hangs off an integration must survive its table being altered
        sync_state = sa.Table("sync_state", meta, autoload_with=rt.db.engine)
        [first] = conn.execute(sa.select(integrations_t.c.id).where(
            integrations_t.c.name == "invoices", integrations_t.c.tenant_id == acme)).all()
        conn.execute(sync_state.insert(), _filled(sync_state, integration_id=first.id, key="K-1",
                                                  hash="h", salesforce_id="a00"))


def _filled(table: sa.Table, **values: object) -> dict[str, object]:
    """`values` with every other non-nullable column of `table` given a plain value."""
    filler: dict[str, object] = {}
    for column in table.columns:
        if not column.nullable and column.name not in values:
            python = getattr(column.type, "python_type", str)
            filler[column.name] = {int: 0, bool: True}.get(python, utcnow()
                                                          if "at" in column.name else "x")
    return filler | values


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "files" / "sub").mkdir(parents=True)
    return tmp_path / "files"


def test_the_upgrade_turns_inline_sources_into_granted_ones(
    settings: Settings, files: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    rt = Runtime(settings)
    try:
        old_store(rt, files)
        with caplog.at_level(logging.WARNING, logger="forcebridge.migrations"):
            migrate.upgrade(rt.db)
        with rt.db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT key FROM sync_state")).scalars().all() == ["K-1"]
        logged = [r.getMessage() for r in caplog.records if r.name == "forcebridge.migrations"]
        assert len(logged) == 3 and all("converted an inline source" in m for m in logged)
        with rt.db.session() as s:
            sources = {d.name: d for d in data_sources.list_all(s)}
            assert set(sources) == {"acme-billing-db", "acme-files", "globex-files"}
            assert sources["acme-files"].root == str(files)
            assert sources["globex-files"].root == str(files / "sub")
            assert sources["acme-billing-db"].converted_from == (
                "integration 'Billing DB' of tenant 'Acme'")
            granted = {d.name: [t.name for t in data_sources.grants(s, d)]
                       for d in sources.values()}
            assert granted == {"acme-billing-db": ["Acme"], "acme-files": ["Acme"],
                               "globex-files": ["globex"]}
            acme_id = next(t.id for t in data_sources.grants(s, sources["acme-files"]))
            parsed = {(i.tenant_id, i.name): integrations.config_of(i, rt.vault)
                      for i in s.query(Integration)}  # every stored config still parses
        acme = {name: config for (tenant, name), config in parsed.items() if tenant == acme_id}
        sql, first, second = acme["Billing DB"], acme["invoices"], acme["more"]
        assert isinstance(sql, EntitySyncConfig) and isinstance(first, EntitySyncConfig)
        assert isinstance(second, EntitySyncConfig)
        assert (sql.source.name, first.source.name, second.source.name) == (
            "acme-billing-db", "acme-files", "acme-files")
        assert (first.source.path, second.source.path) == ("a.csv", "b.csv")  # type: ignore
        with rt.db.session() as s:  # and each locates what it read before
            database = data_sources.locate(rt, s, acme_id, sql.source)  # type: ignore[arg-type]
            assert isinstance(database, SqlDatabase)
            assert database.url.get_secret_value() == f"sqlite:///{files / 'billing.db'}"
            assert data_sources.locate(rt, s, acme_id, first.source) == files / "a.csv"  # type: ignore[arg-type]
        migrate.downgrade(rt.db, "0006")  # and back: the inline sources return
        with rt.db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT name, config, source_url FROM integrations")).all()
        [sql] = [r for r in rows if r.name == "Billing DB"]
        assert rt.vault.open(sql.source_url) == f"sqlite:///{files / 'billing.db'}"
        assert "acme-billing-db" not in str(sql.config)
        paths = sorted(str(c).count(str(files)) for c in (r.config for r in rows))
        assert paths == [0, 0, 1, 1, 1]  # the three files again by their absolute path
    finally:
        rt.close()


def test_db_upgrade_says_which_sources_were_converted(
    settings: Settings, files: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from forcebridge.cli import app

    rt = Runtime(settings)
    try:
        old_store(rt, files)
    finally:
        rt.close()
    monkeypatch.setenv("FORCEBRIDGE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FORCEBRIDGE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("FORCEBRIDGE_LOG_LEVEL", "ERROR")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "3 inline source(s) became data sources granted to their tenant" in result.output
    assert "acme-billing-db: from integration 'Billing DB' of tenant 'Acme'" in result.output
    listed = CliRunner().invoke(app, ["sources", "list", "--json"])
    assert listed.exit_code == 0 and "acme-files" in listed.output
