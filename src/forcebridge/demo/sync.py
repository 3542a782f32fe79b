"""The demo's integrations: saved through the one save path, run by the runs engine.

Nothing here is demo-only logic: integrations are saved with `integrations.saves.save` (the
path the API, CLI and `apply` use, with the checks against the org's describe) and run with
`runs.run_integration`; the demo only reads back what each run recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from pydantic import SecretStr

from forcebridge.demo.integrations import INTEGRATIONS
from forcebridge.errors import NotFound
from forcebridge.integrations import saves as integration_saves
from forcebridge.runtime import Runtime
from forcebridge.services import data_sources
from forcebridge.services import integrations as integrations_service
from forcebridge.services import runs as run_history
from forcebridge.services.data_sources import DataSourceInput
from forcebridge.store.runs import Run

SOURCE = "billing"


@dataclass(frozen=True)
class RunSummary:
    """What one run did, as the run record holds it."""

    integration: str
    run_id: str
    status: str
    read: int
    created: int
    updated: int
    unchanged: int
    failed: int
    api_calls: int
    seconds: float
    error: str | None = None


def reset(rt: Runtime, tenant_id: str, names: list[str] | None = None) -> None:
    """Delete integrations an earlier demo left (with their runs, state, posts and outbox);
    by default the four syncs.

    Each demo talks to a fresh emulator org, so the sync state of an earlier demo describes
    records that no longer exist; keeping it would make the first run send nothing.
    """
    with rt.db.begin() as s:
        for name in names if names is not None else [item.name for item in INTEGRATIONS]:
            try:
                integrations_service.delete(s, tenant_id, name, actor="demo")
            except NotFound:
                continue


def grant_billing(rt: Runtime, tenant_id: str, database_url: str) -> str:
    """Register the billing database as a data source granted to the demo tenant, as an
    operator would on the server (`forcebridge sources add ... --grant`); its name."""
    url = SecretStr(database_url)
    with rt.db.begin() as s:
        try:
            source = data_sources.update(rt, s, SOURCE, DataSourceInput(url=url), actor="demo")
        except NotFound:
            source = data_sources.create(
                rt, s, DataSourceInput(name=SOURCE, kind="sql", url=url), actor="demo")
        data_sources.grant(rt, s, source.id, tenant_id, actor="demo")
        return source.name


async def create_all(
    rt: Runtime, tenant_id: str, database_url: str, *, connection: str, notify: list[str]
) -> list[str]:
    """Grant the billing database to the tenant, then save the four integrations reading it
    (each checked against the org first); their names."""
    source = await anyio.to_thread.run_sync(grant_billing, rt, tenant_id, database_url)
    names = []
    for item in INTEGRATIONS:
        data = item.input(source, connection=connection, notify=notify)
        view = await integration_saves.save(rt, tenant_id, data, actor="demo")
        names.append(view.name)
    return names


def summary(rt: Runtime, name: str, run_id: str) -> RunSummary:
    """The run's recorded counts, status and duration, as the runs service shows them."""
    with rt.db.begin() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise NotFound(f"run {run_id!r} not found")
        shown = run_history.public_view(run, name)
    counts = shown.counts
    return RunSummary(
        integration=name, run_id=run_id, status=shown.status, read=counts["read"],
        created=counts["created"], updated=counts["updated"], unchanged=counts["unchanged"],
        failed=counts["failed"], api_calls=shown.api_calls,
        seconds=shown.duration_seconds or 0.0, error=shown.error,
    )  # fmt: skip


async def run_all(rt: Runtime, tenant_id: str, names: list[str]) -> list[RunSummary]:
    """Run each integration once, in order (parents before the records that reference them)."""
    from forcebridge.runs import run_integration

    summaries = []
    for name in names:
        run_id = await run_integration(rt, tenant_id, name, trigger="manual")
        summaries.append(summary(rt, name, run_id))
    return summaries
