"""Plan before run, and the save-time check: the same checks a run makes, writing nothing.

`check_config` is what saving an integration runs (`integrations.checks`): the
mapping against the live describe of the target and its parents, and against the source's
columns when the source can be read (a file not there yet is no reason to refuse a save).
`plan_integration` makes the same checks and, when they pass, reads the whole source through
the very pipeline of a run (filter, map, diff against the sync state) to count what a run
would create, update, leave unchanged and delete, without a single write. It also lists the
first records a run would change (`sync.preview`), field by field; for the updates among them
it reads the org's current values with one query, so each field says what the org holds now.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio

from forcebridge.runs import org, state
from forcebridge.runs.reconcile import estimate_calls
from forcebridge.runs.setup import (
    client_of,
    describe_for,
    entity_config,
    loaded,
    open_for,
    preparation_for,
)
from forcebridge.runtime import Runtime
from forcebridge.salesforce import (
    SalesforceClient,
    SalesforceError,
    budget_of,
    soql_literal,
    soql_name,
)
from forcebridge.services import integrations as integrations_service
from forcebridge.sources import MissingColumn, Source, SourceError
from forcebridge.sync.config import EntitySyncConfig
from forcebridge.sync.mapping import SyncMode
from forcebridge.sync.plan import Problem, check
from forcebridge.sync.prepare import prepare_all
from forcebridge.sync.preview import DEFAULT_LIMIT, Listing, compare
from forcebridge.sync.schema import ObjectSchema

DEFAULT_PLAN_RECORDS = DEFAULT_LIMIT
MAX_PLAN_RECORDS = 200  # the updates among them are read back in one query: keep it short


@dataclass
class PlanReport:
    """Every problem, then what a run would do (counts are 0 while there are problems)."""

    problems: list[Problem] = field(default_factory=list)
    org_id: str | None = None  # the org the connection reaches: whose sync state this is
    state_records: int = 0  # records that org's state holds for the integration
    would_create: int = 0
    would_update: int = 0
    would_unchanged: int = 0
    would_delete: int = 0
    would_filtered: int = 0
    would_invalid: int = 0
    reconcile_api_calls: int = 0  # a run with --reconcile, estimated (runs.reconcile)
    listing: Listing = field(default_factory=Listing)  # the first records a run would change
    org_values_note: str | None = None  # why the org's current values are not shown
    # the org's API allocation as its last answer said, and the runs' budget of it
    api_used: int | None = None
    api_allocation: int | None = None
    api_budget: int | None = None

    @property
    def would_send(self) -> int:
        """Records a run would write to the org (created or updated)."""
        return self.would_create + self.would_update

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("listing")
        out["would_send"] = self.would_send
        out["problems"] = [{"field": p.field, "reason": p.reason} for p in self.problems]
        out["records"] = self.listing.as_list()
        out["records_more"] = self.listing.more
        return out


@dataclass
class _Checked:
    problems: list[Problem]
    target: ObjectSchema | None = None


def _columns(source: Source) -> tuple[list[str] | None, Problem | None]:
    try:
        return source.columns(), None
    except MissingColumn as exc:
        return None, Problem(exc.spec_field, exc.message)
    except SourceError as exc:
        return None, Problem("source", exc.message)


def source_problems(source: Source) -> list[Problem]:
    """What a save refuses in a readable source: a key, account-id or cursor column it does
    not have. One that cannot be read yet (a file not there) is no reason to refuse a save."""
    _, problem = _columns(source)
    return [problem] if problem is not None and problem.field != "source" else []


async def _check(
    client: SalesforceClient, config: EntitySyncConfig, source: Source, *, strict_source: bool
) -> _Checked:
    """Describe and check; a source that cannot be read is a problem only when `strict_source`."""
    columns, unreadable = await anyio.to_thread.run_sync(_columns, source)
    try:
        described = await describe_for(client, config)
    except SalesforceError as exc:
        return _Checked([Problem("connection", f"cannot describe the org: {exc.code}: "
                                               f"{exc.message}")])
    problems = check(config.mapping, config.mode, described.lookup, columns)
    if unreadable is not None and (strict_source or unreadable.field != "source"):
        problems.insert(0, unreadable)
    return _Checked(problems, described.target)


async def check_config(
    rt: Runtime, tenant_id: str, connection_id: str | None, config: EntitySyncConfig
) -> list[Problem]:
    """Save-time checks of an entity sync against the connection's org; [] without one."""
    if connection_id is None:
        return []

    def client() -> SalesforceClient:
        with rt.db.session() as session:
            return client_of(rt, session, tenant_id, connection_id)

    sf = await anyio.to_thread.run_sync(client)
    source = await anyio.to_thread.run_sync(open_for, rt, tenant_id, "", config)
    async with sf:
        checked = await _check(sf, config, source, strict_source=False)
    return checked.problems


async def plan_integration(
    rt: Runtime, tenant_id: str, ref: str, *, records: int = DEFAULT_PLAN_RECORDS
) -> PlanReport:
    """Problems, the counts of what a run would do, and the first `records` records it would
    change, field by field; writes nothing anywhere."""

    def load() -> Any:
        with rt.db.session() as session:
            integration = integrations_service.get(session, tenant_id, ref)
            entity_config(rt, integration)
            return loaded(rt, session, integration)

    job = await anyio.to_thread.run_sync(load)
    try:
        source = await anyio.to_thread.run_sync(open_for, rt, tenant_id, job.integration_id,
                                                job.config)
    except SourceError as exc:
        await job.client.aclose()
        return PlanReport([Problem("source", exc.message)])
    async with job.client:
        try:
            org_id = await org.reached(job.client)
        except SalesforceError as exc:
            return PlanReport([Problem("connection", f"cannot reach the org: {exc.code}: "
                                                     f"{exc.message}")])
        checked = await _check(job.client, job.config, source, strict_source=True)
        # a run would adopt state of an unknown org (runs.org): count against what it would use
        adopting = await anyio.to_thread.run_sync(org.adoptable, rt.db, job.integration_id,
                                                  org_id)
        state_org = org.UNKNOWN if adopting else org_id
        report = PlanReport(checked.problems, org_id=org_id, listing=Listing(min(max(0, records), MAX_PLAN_RECORDS)))
        _budget(job.client, job.api_budget_share, report)
        report.state_records = await anyio.to_thread.run_sync(
            org.records, rt.db, job.integration_id, state_org)
        if report.problems:
            return report
        try:
            await anyio.to_thread.run_sync(_count, rt, job.integration_id, state_org,
                                           job.config, source, checked.target, report)
        except SourceError as exc:
            return PlanReport([Problem("source", exc.message)], org_id=org_id)
        if checked.target is not None:
            await _org_values(job.client, job.config, checked.target, report)
        _budget(job.client, job.api_budget_share, report)
    report.reconcile_api_calls = estimate_calls(
        report.state_records, report.would_send, job.config.bulk_threshold,
        mirror_deletes=report.would_delete, job_records=rt.settings.run_bulk_job_records)
    return report


def _budget(client: SalesforceClient, share: float, report: PlanReport) -> None:
    """The org's usage as its last answer reported it, and the runs' budget of it."""
    usage = client.usage
    if usage is not None:
        report.api_used, report.api_allocation = usage.used, usage.allocation
        report.api_budget = budget_of(usage.allocation, share)


async def _org_values(
    client: SalesforceClient, config: EntitySyncConfig, target: ObjectSchema, report: PlanReport
) -> None:
    """What the org holds now in each field of the listed updates: one query, by Salesforce
    id (or by external id when the state has none). A failure leaves the values out, saying
    why; the plan itself stands."""
    updates = report.listing.updates()
    ext = config.mapping.resolved_external_id()
    if not updates:
        return
    names = {f.field for r in updates for f in r.fields if not isinstance(f.value, dict)}
    ids = [r.salesforce_id for r in updates if r.salesforce_id]
    keys = [str(v) for r in updates if not r.salesforce_id and ext
            for v in [next((f.value for f in r.fields if f.field.lower() == ext.lower()), None)]
            if v is not None]
    where = []
    if ids:
        where.append(f"Id IN ({', '.join(soql_literal(i) for i in ids)})")
    if keys and ext:
        where.append(f"{soql_name(ext)} IN ({', '.join(soql_literal(k) for k in keys)})")
    if not where:
        return
    columns = ["Id", *sorted(n for n in names | ({ext} if ext else set()) if n.lower() != "id")]
    soql = (f"SELECT {', '.join(soql_name(c) for c in columns)} "  # noqa: S608 (checked names)
            f"FROM {soql_name(target.name)} WHERE {' OR '.join(where)}")
    try:
        rows = [row async for row in client.query(soql)]
    except SalesforceError as exc:
        report.org_values_note = f"the org's current values could not be read: {exc.code}: " \
                                 f"{exc.message}"
        return
    by_id = {str(r.get("Id")): r for r in rows}
    by_key = {str(r.get(ext)): r for r in rows if ext and r.get(ext) is not None}
    types = {f.name.lower(): f.type for f in target.fields}
    for planned in updates:
        key_value = next((f.value for f in planned.fields
                          if ext and f.field.lower() == ext.lower()), None)
        row = by_id.get(planned.salesforce_id or "") or by_key.get(str(key_value))
        compare(planned, row, types)


def _count(
    rt: Runtime, integration_id: str, org_id: str, config: EntitySyncConfig, source: Source,
    target: ObjectSchema | None, report: PlanReport,
) -> None:
    mode = config.mode
    preparation = preparation_for(rt, integration_id, org_id, config, target)
    differ = preparation.differ
    batches: Iterator[Any] = prepare_all(source.batches(config.batch_size),
                                         config.filters.gate(), preparation.mapper, differ)
    listing = report.listing
    for batch in batches:
        report.would_filtered += batch.filtered
        report.would_invalid += len(batch.errors)
        report.would_unchanged += len(batch.unchanged) + batch.skipped
        if mode is SyncMode.INSERT:
            report.would_create += len(batch.new)
            report.would_unchanged += len(batch.changed)
            listing.batch(batch.new, [], batch.errors)
        elif mode is SyncMode.UPDATE:
            report.would_update += len(batch.new) + len(batch.changed)
            listing.batch([], batch.new + batch.changed, batch.errors)
        else:
            report.would_create += len(batch.new)
            report.would_update += len(batch.changed)
            listing.batch(batch.new, batch.changed, batch.errors)
    if mode is SyncMode.MIRROR and differ.finished:
        for page in state.pages(rt.db, integration_id, org_id):
            # a key with no Salesforce id is only forgotten, as the run does (nothing to delete)
            for key, sf_id in page:
                if sf_id and key not in differ.seen:
                    report.would_delete += 1
                    listing.deleted(key, sf_id)
