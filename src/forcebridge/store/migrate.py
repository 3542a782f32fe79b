"""Alembic migrations run from inside the package, with no alembic.ini to find."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from forcebridge.errors import UnknownStoreRevision
from forcebridge.store.db import Database


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "forcebridge.store:migrations")
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    cfg = alembic_config(db)
    check_known(db, cfg)
    command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    cfg = alembic_config(db)
    check_known(db, cfg)
    command.downgrade(cfg, revision)


def check_known(db: Database, cfg: Config | None = None) -> None:
    """Refuse a store migrated to a revision these migrations lack, naming it and what to do
    (Alembic would end in "Can't locate revision identified by ...")."""
    script = ScriptDirectory.from_config(cfg or alembic_config(db))
    for found in revisions(db):
        try:
            known = script.get_revision(found)
        except (CommandError, RevisionError):
            known = None
        if known is None:
            from forcebridge import __version__

            where = make_url(db.url).render_as_string(hide_password=True)
            raise UnknownStoreRevision(
                f"the store at {where} is at revision {found!r}, which forcebridge "
                f"{__version__} does not know: a newer forcebridge (or a development branch) "
                "migrated it. Run the forcebridge that migrated it (upgrade this one), or point "
                "FORCEBRIDGE_DATABASE_URL at another store."
            )


def revisions(db: Database) -> list[str]:
    """Every revision the store's alembic_version table holds (none before the first)."""
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return []
        return [r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None
