"""Saving integrations: validate, check against the org, then commit — or change nothing.

The one way the API, the CLI and `forcebridge apply` create and update integrations. A save
is three steps so that no database transaction stays open across Salesforce calls:

1. build each change in its own transaction and roll it back: every rule of the integration
   service runs (name clash, connection, schedule, users, the kind's config, an entity sync's
   data source located among those granted to the tenant), and we learn the integration as
   the save would leave it;
2. outside any transaction, run the kind's checks against the connection's org (describe,
   source columns) for each change that attaches a connection or changes what is checked;
3. if nothing was refused, apply every change again in one transaction.

A save that would change nothing is not written ("unchanged"), which makes `apply` of an
exported file a no-op. Between steps 1 and 3 another writer may change the same integration;
step 3 re-validates, so such a race can fail a save, never store an invalid integration
(though one changed config could then go unchecked against the org — plan catches that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import anyio

from forcebridge.errors import ForcebridgeError, InvalidInput
from forcebridge.integrations import checks as integration_checks
from forcebridge.runs import plan as run_plan
from forcebridge.runs.setup import open_for
from forcebridge.runtime import Runtime
from forcebridge.services import integrations as service
from forcebridge.services.integrations import (
    Fingerprint,
    IntegrationInput,
    IntegrationView,
    KindConfig,
)
from forcebridge.sync.config import EntitySyncConfig
from forcebridge.sync.plan import PlanError, Problem

Action = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Change:
    """One integration to create (`ref` None) or update.

    `field_prefix` is put before every field an error names, so a file's errors read
    `integrations[2].config.mapping...`.
    """

    data: IntegrationInput
    ref: str | None = None
    field_prefix: str = ""


@dataclass(frozen=True)
class Saved:
    """What a save did (or, in a dry run, would do) and the integration's public view."""

    action: Action
    view: IntegrationView


@dataclass
class _Draft:
    change: Change
    action: Action
    kind: str
    connection_id: str | None
    config: KindConfig | None  # set when the org checks must run
    view: IntegrationView


def _draft(rt: Runtime, tenant_id: str, change: Change) -> _Draft:
    """The change built in a transaction that is rolled back: validated, nothing kept."""
    with rt.db.session() as session:
        try:
            if change.ref is None:
                integration = service.create(session, rt.vault, tenant_id, change.data)
                action: Action = "created"
                check = integration.connection_id is not None
            else:
                integration = service.get(session, tenant_id, change.ref)
                before = Fingerprint.of(integration, rt.vault)
                service.update(session, rt.vault, tenant_id, integration.id, change.data)
                after = Fingerprint.of(integration, rt.vault)
                action = "unchanged" if after == before else "updated"
                check = integration.connection_id is not None and after.checked != before.checked
            config = service.config_of(integration, rt.vault)
            if action != "unchanged" and isinstance(config, EntitySyncConfig):
                _check_source(rt, tenant_id, integration.connection_id, config)
            return _Draft(
                change=change,
                action=action,
                kind=integration.kind,
                connection_id=integration.connection_id,
                config=config if check else None,
                view=service.public_view(session, integration, rt.vault),
            )
        finally:
            session.rollback()


def _check_source(
    rt: Runtime, tenant_id: str, connection_id: str | None, config: EntitySyncConfig
) -> None:
    """Locate the source among those granted to the tenant (`SourceRefused` otherwise) and,
    without a connection to run the org checks (which read the columns too), refuse a key,
    account-id or cursor column the source does not have."""
    source = open_for(rt, tenant_id, "", config)
    if connection_id is None and (problems := run_plan.source_problems(source)):
        raise PlanError(problems)


def _prefixed(exc: ForcebridgeError, prefix: str) -> ForcebridgeError:
    """`exc` with `prefix` before every field it names (and before its message otherwise)."""
    if not prefix:
        return exc
    if isinstance(exc, PlanError):
        return PlanError([Problem(prefix + p.field, p.reason) for p in exc.problems])
    # a copy made without calling the constructor (error classes differ in theirs, and
    # copy.copy would call it); it keeps per-instance code and status, as a refusal from
    # Salesforce sets both
    renamed = type(exc).__new__(type(exc))
    renamed.__dict__.update(exc.__dict__)
    if not exc.details:
        renamed.message = f"{prefix.rstrip('.')}: {exc.message}"
    else:
        renamed.details = [
            {**d, "field": prefix + str(d["field"]) if d.get("field") else prefix.rstrip(".")}
            for d in exc.details
        ]
        renamed.message = "; ".join(
            f"{d['field']}: {d.get('reason', '')}" for d in renamed.details
        )
    renamed.args = (renamed.message,)
    return renamed


def _combined(errors: list[ForcebridgeError]) -> ForcebridgeError:
    """One error for many: a `PlanError` when all are, else `InvalidInput` listing them all."""
    if len(errors) == 1:
        return errors[0]
    if all(isinstance(e, PlanError) for e in errors):
        return PlanError([p for e in errors if isinstance(e, PlanError) for p in e.problems])
    details = [
        d for e in errors for d in (e.details or [{"field": "input", "reason": e.message}])
    ]
    return InvalidInput.from_details(details)


async def _checked(rt: Runtime, tenant_id: str, draft: _Draft) -> ForcebridgeError | None:
    if draft.config is None:
        return None
    try:
        problems = await integration_checks.check_config(
            rt, tenant_id, draft.kind, draft.connection_id, draft.config
        )
    except ForcebridgeError as exc:  # e.g. the connection cannot log in
        return _prefixed(exc, draft.change.field_prefix)
    if not problems:
        return None
    return _prefixed(PlanError(problems), draft.change.field_prefix)


def _write(rt: Runtime, tenant_id: str, drafts: list[_Draft], actor: str) -> list[Saved]:
    saved = []
    with rt.db.begin() as session:
        for draft in drafts:
            change = draft.change
            try:
                if draft.action == "unchanged":
                    assert change.ref is not None
                    integration = service.get(session, tenant_id, change.ref)
                elif change.ref is None:
                    integration = service.create(
                        session, rt.vault, tenant_id, change.data, actor=actor
                    )
                else:
                    integration = service.update(
                        session, rt.vault, tenant_id, change.ref, change.data, actor=actor
                    )
                session.flush()
            except ForcebridgeError as exc:  # a concurrent writer got there first
                raise _prefixed(exc, change.field_prefix) from None
            saved.append(Saved(draft.action, service.public_view(session, integration, rt.vault)))
    return saved


async def save_all(
    rt: Runtime, tenant_id: str, changes: Sequence[Change], *, actor: str = "system",
    dry_run: bool = False,
) -> list[Saved]:
    """Apply every change or none, each validated and checked against its org first.

    Every refusal is collected before one error is raised, so a file with three mistakes is
    fixed in one go; a dry run stops before writing and reports what would happen.
    """
    drafts: list[_Draft] = []
    errors: list[ForcebridgeError] = []
    for change in changes:
        try:
            drafts.append(await anyio.to_thread.run_sync(_draft, rt, tenant_id, change))
        except ForcebridgeError as exc:
            errors.append(_prefixed(exc, change.field_prefix))
    for draft in drafts:
        refused = await _checked(rt, tenant_id, draft)
        if refused is not None:
            errors.append(refused)
    if errors:
        raise _combined(errors)
    if dry_run:
        return [Saved(d.action, d.view) for d in drafts]
    return await anyio.to_thread.run_sync(_write, rt, tenant_id, drafts, actor)


async def save(
    rt: Runtime, tenant_id: str, data: IntegrationInput, *, ref: str | None = None,
    actor: str = "system",
) -> IntegrationView:
    """Create (`ref` None) or update one integration; its public view.

    Refused with 422 `invalid_mapping` listing every problem when the kind's checks find
    that it cannot work against the connection's org; nothing is written then.
    """
    [saved] = await save_all(rt, tenant_id, [Change(data, ref)], actor=actor)
    return saved.view
