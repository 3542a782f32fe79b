"""What a granted source may reach: files inside their root, any database but the store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from forcebridge.sources.confinement import (
    Refused,
    inside,
    readable_database,
    same_database,
    table_allowed,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "exports").mkdir(parents=True)
    (tmp_path / "root" / "exports" / "a.csv").write_text("id\n1\n")
    (tmp_path / "secret.key").write_text("key\n")
    return tmp_path / "root"


def test_a_path_resolves_inside_its_root(root: Path) -> None:
    assert inside(root, "exports/a.csv") == root / "exports" / "a.csv"
    assert inside(root, "exports/../exports/./a.csv") == root / "exports" / "a.csv"
    assert inside(str(root), "new/later.csv") == root / "new" / "later.csv"  # not there yet


@pytest.mark.parametrize("path", ["../secret.key", "exports/../../secret.key", "..", "/etc/passwd",
                                  "~/.ssh/id_rsa", "C:\\Windows\\win.ini", "  "])
def test_paths_leaving_the_root_are_refused(root: Path, path: str) -> None:
    with pytest.raises(Refused):
        inside(root, path)


def test_a_symlink_out_of_the_root_is_refused_and_one_inside_is_followed(root: Path) -> None:
    os.symlink(root.parent / "secret.key", root / "exports" / "key.csv")
    os.symlink(root.parent, root / "up")
    os.symlink(root / "exports" / "a.csv", root / "alias.csv")
    with pytest.raises(Refused, match="outside the data source's root"):
        inside(root, "exports/key.csv")
    with pytest.raises(Refused, match="outside"):
        inside(root, "up/secret.key")
    assert inside(root, "alias.csv") == root / "exports" / "a.csv"


def test_a_root_given_through_a_symlink_still_confines(root: Path, tmp_path: Path) -> None:
    os.symlink(root, tmp_path / "link")
    assert inside(tmp_path / "link", "exports/a.csv") == root / "exports" / "a.csv"
    with pytest.raises(Refused):
        inside(tmp_path / "link", "../secret.key")


def test_the_same_sqlite_file_whatever_the_spelling(tmp_path: Path) -> None:
    store = tmp_path / "data" / "forcebridge.db"
    store.parent.mkdir()
    store.write_bytes(b"")
    os.symlink(store, tmp_path / "alias.db")
    os.link(store, tmp_path / "hard.db")
    url = f"sqlite:///{store}"
    for spelling in (f"sqlite:///{tmp_path}/data/../data/forcebridge.db",
                     f"sqlite+pysqlite:///{store}", f"sqlite:///{tmp_path / 'alias.db'}",
                     f"sqlite:///{tmp_path / 'hard.db'}",
                     f"sqlite:///file:{store}?mode=ro&uri=true"):
        assert same_database(spelling, url), spelling
        with pytest.raises(Refused, match="forcebridge's own database"):
            readable_database(spelling, url)
    assert not same_database(f"sqlite:///{tmp_path / 'other.db'}", url)
    assert not same_database("sqlite://", "sqlite://")  # in-memory databases are never shared


def test_the_same_postgres_database_whatever_the_spelling() -> None:
    store = "postgresql+psycopg://forcebridge:pw@127.0.0.1:5432/fb"
    for spelling in ("postgresql://someone@localhost/fb", "postgresql+psycopg2://x:y@[::1]:5432/fb",
                     "postgresql:///fb?host=/var/run/postgresql",
                     "postgresql://u@/fb?host=127.0.0.1&port=5432"):
        assert same_database(spelling, store), spelling
    assert not same_database("postgresql://u@127.0.0.1:5432/billing", store)
    assert not same_database("postgresql://u@127.0.0.1:5433/fb", store)
    assert not same_database("postgresql://u@192.0.2.10:5432/fb", store)
    with pytest.raises(Refused, match="not supported"):
        readable_database("mysql://u@db/x", store)
    with pytest.raises(Refused, match="not a valid"):
        readable_database("not a url", store)


def test_tables_a_source_admits() -> None:
    assert table_allowed("anything", [])
    allowed = ["invoices", "billing.accounts", "reports.*"]
    assert table_allowed("invoices", allowed) and table_allowed("INVOICES", allowed)
    assert table_allowed("billing.accounts", allowed)
    assert table_allowed("reports.monthly", allowed)
    assert not table_allowed("accounts", allowed)
    assert not table_allowed("public.invoices", allowed)
    assert not table_allowed("users", allowed)
