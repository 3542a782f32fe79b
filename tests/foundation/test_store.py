"""Migrations and the store, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from forcebridge.errors import Conflict, InvalidInput, NotFound, StoreError, UnknownStoreRevision
from forcebridge.runtime import Runtime
from forcebridge.services import audit, tenants, users
from forcebridge.settings import Settings
from forcebridge.store import migrate
from forcebridge.store.db import Database
from forcebridge.store.models import Base, Tenant


def test_migrations_build_every_table_from_empty(database_url: str) -> None:
    db = Database(database_url)
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert migrate.current_revision(db) is not None
    db.dispose()


def test_migrations_go_down_to_empty_and_up_again(database_url: str) -> None:
    db = Database(database_url)
    migrate.upgrade(db)
    migrate.downgrade(db, "base")
    assert not {"tenants", "users", "api_keys", "audit_log"} & set(
        inspect(db.engine).get_table_names()
    )
    migrate.upgrade(db)
    assert "tenants" in inspect(db.engine).get_table_names()
    db.dispose()


def test_models_match_migrations(runtime: Runtime) -> None:
    """A model change without a migration shows up here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with runtime.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_tenant_names_are_unique_and_required(runtime: Runtime) -> None:
    with runtime.db.begin() as s:
        tenants.create(s, "Acme Billing")
    with runtime.db.begin() as s, pytest.raises(Conflict) as exc:
        tenants.create(s, "  Acme Billing  ")
    assert exc.value.details == [{"field": "name", "reason": "already exists"}]
    with runtime.db.begin() as s, pytest.raises(InvalidInput) as bad:
        tenants.create(s, "   ")
    assert bad.value.details[0]["field"] == "name"


def test_the_database_itself_refuses_duplicate_tenants(runtime: Runtime) -> None:
    with runtime.db.begin() as s:
        s.add(Tenant(name="twice"))
    with pytest.raises(IntegrityError), runtime.db.begin() as s:
        s.add(Tenant(name="twice"))


def test_users_are_scoped_to_their_tenant(runtime: Runtime) -> None:
    with runtime.db.begin() as s:
        a = tenants.create(s, "a")
        b = tenants.create(s, "b")
        ua = users.create(s, a.id, "Ann", "Ann@Example.com")
        users.create(s, b.id, "Ann", "ann@example.com")  # same email, other tenant: fine
    assert ua.email == "ann@example.com"
    with runtime.db.begin() as s, pytest.raises(NotFound):
        users.get(s, b.id, ua.id)
    with runtime.db.begin() as s, pytest.raises(InvalidInput) as exc:
        users.create(s, a.id, "Bob", "not-an-email")
    assert exc.value.details[0]["field"] == "email"


def test_deleting_a_tenant_removes_what_belongs_to_it(runtime: Runtime) -> None:
    with runtime.db.begin() as s:
        t = tenants.create(s, "gone")
        users.create(s, t.id, "Ann", "ann@example.com")
    with runtime.db.begin() as s:
        tenants.delete(s, t.id)
    with runtime.db.begin() as s:
        assert users.list_all(s, t.id) == []
        assert audit.list_entries(s, t.id) == []


def test_changes_are_audited(runtime: Runtime) -> None:
    with runtime.db.begin() as s:
        t = tenants.create(s, "audited", actor="cli")
        users.create(s, t.id, "Ann", "ann@example.com", actor="cli")
    with runtime.db.begin() as s:
        actions = [e.action for e in audit.list_entries(s, t.id)]
    assert sorted(actions) == ["tenant.create", "user.create"]


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "d")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'd' / 'forcebridge.db'}"
    rt = Runtime(settings)
    rt.migrate()
    assert (tmp_path / "d" / "forcebridge.db").exists()
    rt.close()


def test_a_store_at_an_unknown_revision_is_refused_by_name(database_url: str,
                                                          tmp_path: Path) -> None:
    """A store a newer forcebridge migrated: one readable error naming it, from the library,
    from a CLI command (exit 1, no traceback) and from serve, before anything is touched."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password="s3cret-pw")  # the test server trusts; the password is shown ***
    shown = url.render_as_string(hide_password=True)
    db = Database(url.render_as_string(hide_password=False))
    migrate.upgrade(db)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_from_the_future'")

    with pytest.raises(UnknownStoreRevision) as caught:
        migrate.upgrade(db)
    assert isinstance(caught.value, StoreError)
    message = caught.value.message
    assert shown in message and "'0099_from_the_future'" in message
    assert "s3cret-pw" not in message and "upgrade" in message
    assert "FORCEBRIDGE_DATABASE_URL" in message
    assert migrate.revisions(db) == ["0099_from_the_future"]  # left as it was
    db.dispose()

    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEBRIDGE_")}
    env.update({"FORCEBRIDGE_DATA_DIR": str(tmp_path / "data"), "NO_COLOR": "1",
                "FORCEBRIDGE_DATABASE_URL": url.render_as_string(hide_password=False)})
    for argv in (["tenants", "list"], ["serve", "--port", "0"]):
        proc = subprocess.run([sys.executable, "-m", "forcebridge", *argv], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, (argv, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and "Can't locate" not in proc.stderr
        assert proc.stderr.startswith("error: the store at ") and "0099_from_the_future" in proc.stderr
        assert "s3cret-pw" not in proc.stderr + proc.stdout


def test_json_columns_are_written_by_orjson_and_read_back_alike(runtime: Runtime) -> None:
    from sqlalchemy import JSON, bindparam, select

    from forcebridge.store.db import json_text

    assert json_text([["K-1", "h", None, "é"]]) == '[["K-1","h",null,"é"]]'
    # what orjson refuses, the standard encoder still writes
    assert json_text({1: "x"}) == '{"1": "x"}'
    assert json_text([2**70]) == "[1180591620717411303424]"
    assert json_text([float("nan")]) == "[null]"  # as every payload forcebridge sends
    value = {"rows": [["K-1", "h", None, "é"]], "big": 2**70, "n": 1.5, "ok": True}
    with runtime.db.begin() as s:
        back = s.execute(select(bindparam("v", value, type_=JSON))).scalar_one()
    assert back == value
