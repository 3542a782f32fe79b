"""`forcebridge db ...`"""

from __future__ import annotations

import typer
from sqlalchemy import inspect

from forcebridge.cli.output import console, runtime
from forcebridge.services import data_sources
from forcebridge.store import migrate
from forcebridge.store.types import utcnow

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    rt = runtime(migrate=False)
    started = utcnow()
    migrate.upgrade(rt.db, revision)
    console.print(f"database at revision {migrate.current_revision(rt.db)} ({rt.db!r})")
    if not inspect(rt.db.engine).has_table("data_sources"):
        return
    with rt.db.session() as s:
        converted = [
            (d.name, d.converted_from) for d in data_sources.list_all(s)
            if d.converted_from and d.created_at >= started
        ]
    if converted:
        console.print(f"{len(converted)} inline source(s) became data sources granted to their "
                      "tenant (see `forcebridge sources list`):")
        for name, what in converted:
            console.print(f"  {name}: from {what}")


@app.command("current")
def current() -> None:
    """Show the database's current revision."""
    rt = runtime(migrate=False)
    console.print(migrate.current_revision(rt.db) or "empty (no migrations applied)")
