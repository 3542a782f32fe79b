"""`forcebridge worker` and `forcebridge scheduler`: the processes of a scaled-out install.

Both need FORCEBRIDGE_BROKER_URL (Redis); without it `forcebridge serve` does all the work in
one process, as before. See docs/deployment.md.
"""

from __future__ import annotations

import sys

import typer

from forcebridge.cli.output import console, runtime
from forcebridge.errors import InvalidInput
from forcebridge.runtime import Runtime

_NO_BROKER = ("FORCEBRIDGE_BROKER_URL is not set: without a broker `forcebridge serve` runs "
              "the scheduled work itself")


def _needs_broker(rt: Runtime) -> None:
    if not rt.settings.broker_url:
        raise InvalidInput.field("FORCEBRIDGE_BROKER_URL", _NO_BROKER)


def worker(
    concurrency: int = typer.Option(
        4, "--concurrency", "-c", min=1, max=64,
        help="Tasks this process runs at once (runs, outbox deliveries, form resends).",
    ),
    check: bool = typer.Option(
        False, "--check",
        help="Only report whether the broker and the database answer; exit 1 if one does not.",
    ),
    name: str | None = typer.Option(
        None, "--name", help="The worker's Celery node name (default: celery@<host>)."
    ),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", min=1, max=65535,
        help="Serve this worker's Salesforce call counters and concurrency slots for "
        "Prometheus at http://<bind_host>:PORT/metrics (default: "
        "FORCEBRIDGE_WORKER_METRICS_PORT; unset, none).",
    ),
) -> None:
    """Run scheduled runs, reconciliations, outbox delivery and form resends that `forcebridge
    scheduler` enqueues. Start any number, on any machines sharing the database and broker;
    each connection's concurrency holds across all of them."""
    from forcebridge.scheduling import worker as worker_process

    if check:
        rt = runtime(migrate=False)
        checks = worker_process.check(rt)
        for found in checks:
            mark = "[green]ok[/green]" if found.ok else "[red]failed[/red]"
            console.print(f"{found.name:<9} {mark}  {found.detail}")
        sys.exit(0 if all(c.ok for c in checks) else 1)
    rt = runtime()
    _needs_broker(rt)
    if metrics_port is not None:
        rt.settings.worker_metrics_port = metrics_port
    worker_process.run_worker(rt, concurrency=concurrency, hostname=name)


def scheduler() -> None:
    """Enqueue due work for the workers: scheduled runs (each tick once, however many
    schedulers run), outbox delivery and form resends; end runs whose worker died so another
    worker takes them over."""
    from forcebridge.scheduling.dispatcher import Dispatcher

    rt = runtime()
    _needs_broker(rt)
    Dispatcher(rt).run_forever()
