"""`forcebridge runs ...`, and the top-level `forcebridge run` and `forcebridge plan`.

`run` shows a Rich progress bar while the run goes on (a bar when the source knows its size,
a pulsing one otherwise) with the counts so far, then the run's summary. With a broker
configured it queues the run for the workers and follows it the same way (`--here` runs it
in this process instead). Its exit code says
whether anything needs a person: 0 when the run succeeded, 1 when it was partial or failed
(the summary and `forcebridge events list` say why). `plan` exits 1 when it found problems.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.text import Text

from forcebridge.cli.listing import Listing
from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    console,
    console_err,
    emit,
    emit_one,
    runtime,
    suggest,
    table,
    tenant_id,
    tenant_name,
)
from forcebridge.services import runs as run_history
from forcebridge.services.pages import DEFAULT_LIMIT, MAX_LIMIT, SHORT_ID

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from forcebridge.services.runs import RunView

app = typer.Typer(no_args_is_help=True)

_INTEGRATION = typer.Argument(..., help="Integration name or id.")
LIVE_COUNTS = ("created", "updated", "unchanged", "failed")
TABLE_COUNTS = ("read", "created", "updated", "failed")


class ProgressBar:
    """A `forcebridge.runs.RunProgress` drawn with Rich: records read against the source's
    total (unknown total: a pulsing bar) and the counts so far."""

    def __init__(self, progress: Progress, name: str) -> None:
        self.progress = progress
        self.name = name
        self.task: TaskID | None = None

    def started(self, total: int | None) -> None:
        if self.task is None:
            self.task = self.progress.add_task(self.name, total=total, counts="")
        else:
            self.progress.update(self.task, total=total)

    def advance(self, read: int, counts: dict[str, int]) -> None:
        if self.task is None:
            self.started(None)
        assert self.task is not None
        shown = "  ".join(f"{name} {counts.get(name, 0):,}" for name in LIVE_COUNTS)
        self.progress.update(self.task, completed=read, counts=shown)


def _run_table(rows: list[RunView], title: str) -> None:
    """Runs with short ids (`runs show` takes them) and the main counts; `runs show` and
    `--json` have everything."""
    table(Listing(
        ("run", "started", "status", *TABLE_COUNTS),
        [[row.id[:SHORT_ID], row.started_at.strftime("%m-%d %H:%M"), row.status,
          *(f"{row.counts[name]:,}" for name in TABLE_COUNTS)] for row in rows],
        title, right=TABLE_COUNTS,
    ))  # fmt: skip


def summary(row: RunView, *, as_json: bool, tenant: str) -> None:
    """A run's summary: what it did (or the view as JSON); its events as a command to paste."""
    if as_json:
        emit_one(row, as_json=True)
        return
    status = row.status
    colour = {"succeeded": "green", "partial": "yellow", "failed": "red"}.get(status, "cyan")
    lines: list[list[Any]] = [[name, f"{value:,}"] for name, value in row.counts.items()]
    lines += [[name.replace("_", " "), f"{value:,}"]
              for name, value in (row.reconciliation or {}).items() if name != "read_with"]
    lines += [["API calls", f"{row.api_calls:,}"], ["events", f"{row.events or 0:,}"]]
    if row.duration_seconds is not None:
        lines.append(["seconds", f"{row.duration_seconds:.1f}"])
    lines += [["trigger", row.trigger], ["run id", row.id]]
    title = f"run of {row.integration}: [{colour}]{status}[/{colour}]"
    table(Listing(("", "value"), lines, title, right=("value",), header=False))
    if row.error:
        console.print(Text.assemble(("error: ", "red"), str(row.error)))
    if row.events:
        suggest("see them with", "events", "list", "--run", row.id, "--tenant", tenant)


def run(
    integration: str = _INTEGRATION,
    tenant: str | None = TenantOption,
    full: bool = typer.Option(
        False, "--full",
        help="Read every row, also of a SQL source with a cursor column: finds rows changed "
        "without the column moving; the cursor restarts from this run.",
    ),
    reconcile: bool = typer.Option(
        False, "--reconcile",
        help="Read back from the org what the integration owns and repair the difference: "
        "records missing in the org are sent again, fields changed in Salesforce are "
        "rewritten or kept by their owner and on_conflict, lost links are re-linked by "
        "external id; orphans are counted (deleted in mirror mode).",
    ),
    here: bool = typer.Option(
        False, "--here",
        help="Run it in this process even when FORCEBRIDGE_BROKER_URL is set (by default "
        "the run is then queued for the workers and followed here until it ends).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Run an integration now (trigger `manual`), with a progress bar, then its summary.

    With a broker configured the run goes to the workers and this command follows it until
    it ends (Ctrl-C stops following, not the run); the exit code is the run's outcome."""
    # the engine, its event loop and the progress bar load only to run
    import anyio
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from forcebridge.runs import run_integration
    from forcebridge.telemetry import tracing

    rt = runtime()
    tracing.configure(rt.settings)  # spans exported when FORCEBRIDGE_OTEL_ENDPOINT is set
    tid = tenant_id(rt, tenant)
    if rt.settings.broker_url and not here:
        run_id = _queued(rt, tid, integration, full=full, reconcile=reconcile, quiet=as_json)
    elif as_json:
        run_id = anyio.run(
            functools.partial(run_integration, rt, tid, integration, trigger="manual", full=full,
                              reconcile=reconcile)
        )
    else:
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console_err,
            transient=True,
        ) as progress:
            bar = ProgressBar(progress, integration)
            run_id = anyio.run(
                functools.partial(
                    run_integration, rt, tid, integration, trigger="manual", progress=bar,
                    full=full, reconcile=reconcile,
                )
            )
    row = run_history.shown(rt.db, tid, run_id)
    summary(row, as_json=as_json, tenant=tenant_name(rt, tid))
    if row.status != "succeeded":
        raise typer.Exit(1)


def _queued(rt: Any, tid: str, integration: str, *, full: bool, reconcile: bool,
            quiet: bool) -> str:
    """Queue the run for the workers and follow it until it ends; its id."""
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from forcebridge.scheduling import queued

    run_id = queued.enqueue(rt, tid, integration, trigger="manual", full=full,
                            reconcile=reconcile)
    if not quiet:
        console_err.print(f"run {run_id[:SHORT_ID]} queued for the workers; following it "
                          "(Ctrl-C stops following, the run goes on)")
    try:
        with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"),
                      TextColumn("{task.fields[status]}"), TextColumn("{task.fields[counts]}"),
                      TimeElapsedColumn(), console=console_err, transient=True,
                      disable=quiet) as progress:
            task = progress.add_task(integration, status="queued", counts="")
            while True:
                row = run_history.shown(rt.db, tid, run_id)
                counts = "  ".join(f"{name} {row.counts[name]:,}"
                                   for name in ("read", *LIVE_COUNTS))
                progress.update(task, status=row.status, counts=counts)
                if row.status in ("succeeded", "partial", "failed"):
                    return run_id
                time.sleep(0.5)
    except KeyboardInterrupt:
        console_err.print(f"stopped following; the run goes on: forcebridge runs show "
                          f"{run_id[:SHORT_ID]}")
        raise typer.Exit(130) from None


def plan(
    integration: str = _INTEGRATION,
    tenant: str | None = TenantOption,
    records: int = typer.Option(
        10, "--records", min=0, max=200,
        help="List this many of the records a run would change, with the fields that change "
        "(an update's compared with the org's current values); 0 lists none.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Check an integration against the org and its source, writing nothing: every problem
    (field and reason), what a run would do, and the first records it would change, field by
    field. Exit code 1 when there are problems."""
    import anyio

    from forcebridge.runs import plan_integration

    rt = runtime()
    tid = tenant_id(rt, tenant)
    report = anyio.run(functools.partial(plan_integration, rt, tid, integration,
                                         records=records))
    found: dict[str, Any] = report.as_dict()
    if as_json:
        typer.echo(orjson.dumps(found, default=str, option=orjson.OPT_INDENT_2).decode())
    else:
        if report.problems:
            emit(
                [{"field": p.field, "reason": p.reason} for p in report.problems],
                ("field", "reason"), as_json=False,
                title=f"[red]{len(report.problems)} problem(s)[/red]",
            )
        else:
            console.print("[green]no problems[/green]")
        if report.org_id is not None:
            console.print(f"org {report.org_id}: its sync state holds "
                          f"{report.state_records:,} record(s) of this integration")
        if report.api_budget is not None:
            console.print(f"API budget: {report.api_used:,} of {report.api_budget:,} calls "
                          f"used (org: {report.api_allocation:,} a day)")
        names = ("send", "create", "update", "unchanged", "delete", "filtered", "invalid")
        table(Listing(
            ("", "records"),
            [[name, f"{getattr(report, f'would_{name}'):,}"] for name in names],
            "a run would", right=("records",), header=False,
        ))  # fmt: skip
        if not report.problems:
            console.print(f"a run with --reconcile: about {report.reconcile_api_calls:,} API "
                          "calls (more when records are missing or drifted)")
        if found["records"]:
            table(Listing(("key", "action", "what changes"), [
                [r["key"] if r["key"] is not None else f"line {r['line']}", r["action"],
                 _changes(r)] for r in found["records"]
            ], "records a run would change" + (" (the first)" if found["records_more"] else "")))
    if report.problems:
        raise typer.Exit(1)


def _changes(record: dict[str, Any]) -> str:
    """One record of a plan in a few words: its problems, or the fields that change."""
    if record["problems"]:
        return "; ".join(f"{p['field']}: {p['reason']}" for p in record["problems"])
    if record["action"] == "delete":
        return str(record["salesforce_id"])
    shown = []
    for f in record["fields"]:
        if not f["differs"]:
            continue
        if f["compared"]:
            shown.append(f"{f['field']}: {f['org']!r} -> {f['value']!r}")
        else:
            shown.append(f"{f['field']}={f['value']!r}")
    return ", ".join(shown) or "nothing the org lacks"


@app.command("list")
def list_runs(
    integration: str = _INTEGRATION,
    tenant: str | None = TenantOption,
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", min=1, max=MAX_LIMIT),
    cursor: str | None = typer.Option(None, "--cursor", help="Continue after a previous page."),
    as_json: bool = JsonOption,
) -> None:
    """An integration's runs, newest first."""
    rt = runtime()
    tid = tenant_id(rt, tenant)
    with rt.db.begin() as s:
        found = run_history.list_runs(s, tid, integration, limit=limit, cursor=cursor)
    if as_json:
        emit(found.items, (), as_json=True)
    else:
        _run_table(found.items, f"runs of {integration}")
    if found.next_cursor:
        suggest(
            "more runs", "runs", "list", integration, "--tenant", tenant_name(rt, tid),
            "--limit", str(limit), "--cursor", found.next_cursor, on=console_err,
        )  # fmt: skip


@app.command("show")
def show(
    run_id: str = typer.Argument(..., help="Run id (the short id of `runs list` too)."),
    tenant: str | None = TenantOption,
    as_json: bool = JsonOption,
) -> None:
    """One run: trigger, timing, status, counts, API calls, events."""
    rt = runtime()
    tid = tenant_id(rt, tenant)
    row = run_history.shown(rt.db, tid, run_id)
    summary(row, as_json=as_json, tenant=tenant_name(rt, tid))
