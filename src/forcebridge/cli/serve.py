"""`forcebridge serve`: the API and, unless turned off, the scheduler, in one process."""

from __future__ import annotations

import typer
import uvicorn

from forcebridge import log, scheduling
from forcebridge.api import create_app
from forcebridge.cli.output import runtime
from forcebridge.runtime import Runtime


def serve(
    host: str | None = typer.Option(
        None, help="Bind address (default from FORCEBRIDGE_BIND_HOST)."
    ),
    port: int | None = typer.Option(None, help="Port (default from FORCEBRIDGE_BIND_PORT)."),
    scheduler: bool | None = typer.Option(
        None,
        "--scheduler/--no-scheduler",
        help="Also run scheduled runs, outbox delivery and form resends in this process "
        "(default from FORCEBRIDGE_SCHEDULER, on). Use --no-scheduler for API-only replicas. "
        "Off when FORCEBRIDGE_BROKER_URL is set: `forcebridge scheduler` and `forcebridge "
        "worker` do that work then.",
        show_default=False,
    ),
) -> None:
    """Migrate the database, then serve the API; the scheduler runs in the same event loop."""
    rt = runtime()
    # the public URL (hook URLs, OAuth callback) follows --host/--port unless set explicitly
    rt.settings.bind_host = host or rt.settings.bind_host
    rt.settings.bind_port = port or rt.settings.bind_port
    serve_runtime(rt, scheduler=rt.settings.scheduler if scheduler is None else scheduler)


def serve_runtime(rt: Runtime, *, scheduler: bool) -> None:
    """Serve the API and console of `rt` (and its scheduler) until interrupted; `forcebridge
    demo --serve` calls it with the demo's runtime, whose org lives in this process."""
    app = create_app(rt)
    if scheduler and rt.settings.broker_url:
        # with a broker the work is `forcebridge scheduler`'s and the workers'
        scheduler = False
    if scheduler:
        scheduling.attach(app, rt)
    log.event(log.get("serve"), "serving", scheduler=scheduler,
              broker=bool(rt.settings.broker_url))
    uvicorn.run(
        app,
        host=rt.settings.bind_host,
        port=rt.settings.bind_port,
        log_level=rt.settings.log_level.lower(),
        access_log=False,
    )
