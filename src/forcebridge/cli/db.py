"""`forcebridge db ...`"""

from __future__ import annotations

import typer

from forcebridge.cli.output import console, runtime
from forcebridge.store import migrate

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    rt = runtime(migrate=False)
    migrate.upgrade(rt.db, revision)
    console.print(f"database at revision {migrate.current_revision(rt.db)} ({rt.db!r})")


@app.command("current")
def current() -> None:
    """Show the database's current revision."""
    rt = runtime(migrate=False)
    console.print(migrate.current_revision(rt.db) or "empty (no migrations applied)")
