"""`forcebridge serve`"""

from __future__ import annotations

import typer
import uvicorn

from forcebridge.api import create_app
from forcebridge.cli.output import runtime


def serve(
    host: str | None = typer.Option(
        None, help="Bind address (default from FORCEBRIDGE_BIND_HOST)."
    ),
    port: int | None = typer.Option(None, help="Port (default from FORCEBRIDGE_BIND_PORT)."),
) -> None:
    """Migrate the database, then serve the API."""
    rt = runtime()
    uvicorn.run(
        create_app(rt),
        host=host or rt.settings.bind_host,
        port=port or rt.settings.bind_port,
        log_level=rt.settings.log_level.lower(),
        access_log=False,
    )
