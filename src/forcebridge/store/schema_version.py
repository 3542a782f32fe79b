"""Whether a database already has the newest schema, answered without loading Alembic.

Every CLI command migrates first; Alembic imports every migration to find the head, which costs
more than most commands. The migration files name their revisions in plain assignments, so the
head is read from the text, and Alembic runs only when the database is behind (or the files are
not as expected).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import inspect

from forcebridge.store.db import Database

_VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The one revision no other migration builds on; None when that is not clear-cut."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in _VERSIONS.glob("*.py"):
        found = {m.group(1): m.group(2) for m in _REVISION.finditer(path.read_text())}
        revision = found.get("revision", "").strip().strip("\"'")
        if not revision:
            return None
        revisions.add(revision)
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", found.get("down_revision", "")))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def is_current(db: Database) -> bool:
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    head = head_revision()
    return head is not None and [r[0] for r in rows] == [head]
