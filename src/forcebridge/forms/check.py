"""Save-time checks of an inbound form, and the fields a form may be mapped to.

A form can only create records, so only createable fields are offered (`form_fields`) and a
mapping to any other field is refused, as is a form that leaves a required-on-create field
unmapped: the vendor's rule "required items on the Salesforce side must be required on the
form side" is enforced when the integration is saved, not discovered on the first post.
The rest (field exists, transform fits the type, restricted picklists, references) is the
entity sync's `plan.check` in insert mode, so both kinds judge a mapping the same way.
"""

from __future__ import annotations

from typing import Any

import anyio

from forcebridge.errors import Conflict, NotFound
from forcebridge.forms.manage import form_integration
from forcebridge.forms.mapping import auto_targets, required_fields
from forcebridge.kinds.inbound_form import InboundFormConfig
from forcebridge.runtime import Runtime
from forcebridge.salesforce import SalesforceClient, SObjectSchema
from forcebridge.services import integrations as integrations_service
from forcebridge.services import objects, records
from forcebridge.sync import plan
from forcebridge.sync.mapper import find_field
from forcebridge.sync.mapping import SyncMode
from forcebridge.sync.plan import Problem
from forcebridge.sync.schema import ObjectSchema, lookup_from

NOT_CREATEABLE = (
    "cannot be set when a record is created (not createable); map a field listed by "
    "`forcebridge forms fields` instead"
)


async def _describe_all(
    client: SalesforceClient, config: InboundFormConfig
) -> list[SObjectSchema] | None:
    """The target's describe and those of the parents reference mappings name; None when the
    org has no such target object."""
    try:
        target = await records.schema_of(client, config.namespace.apply(config.object))
    except NotFound:
        return None
    found = [target]
    for parent in sorted(plan.referenced_objects(config.mapping_spec(), target)):
        try:
            found.append(await records.schema_of(client, parent))
        except NotFound:
            continue  # plan.check names the missing parent
    return found


def problems_of(config: InboundFormConfig, target: ObjectSchema | None,
                parents: list[SObjectSchema] | None = None) -> list[Problem]:
    """Every problem of `config` against the describes. Pure."""
    object_name = config.namespace.apply(config.object)
    if target is None:
        return [Problem("object", f"the org has no object {object_name}")]
    lookup = lookup_from([target, *(parents or [])])
    ns = config.namespace
    not_createable: set[str] = set()
    mapped: set[str] = set()
    problems: list[Problem] = []
    for m in config.mappings:
        found = find_field(target, ns.apply(m.field))
        if found is None:
            continue  # plan.check names it
        mapped.add(found.name.lower())
        if not found.createable and found.name.lower() not in not_createable:
            not_createable.add(found.name.lower())
            problems.append(Problem(found.name, NOT_CREATEABLE))
    required = {f.name.lower() for f in required_fields(target)}
    auto = {f.name.lower() for f in auto_targets(config, target).values()}
    for p in plan.check(config.mapping_spec(), SyncMode.INSERT, lookup):
        name = p.field.lower()
        if name in not_createable and p.reason.startswith("not createable"):
            continue  # said above, in a form's words
        if name in required and name not in mapped:
            continue  # said below, knowing auto-match
        problems.append(p)
    for f in required_fields(target):
        if f.name.lower() not in mapped and f.name.lower() not in auto:
            problems.append(Problem(
                f.name, f"required to create {target.name} records but not mapped "
                "(map a posted key to it, or turn on auto_match and post it by this name)"
            ))
    return problems


async def check_config(
    rt: Runtime, tenant_id: str, connection_id: str | None, config: InboundFormConfig
) -> list[Problem]:
    """Every problem of the form against the connection's org; [] without a connection.

    With `auto_match`, a required field counts as mapped (a key of its exact name fills it),
    and each post is then checked for it (422 naming what is missing).
    """
    if connection_id is None:
        return []

    async def work(client: SalesforceClient) -> list[Problem]:
        described = await _describe_all(client, config)
        if described is None:
            return problems_of(config, None)
        return problems_of(config, described[0], described[1:])

    return await records.with_client(rt, tenant_id, connection_id, work)


def fields_for_form(config: InboundFormConfig, schema: SObjectSchema) -> list[dict[str, Any]]:
    """The createable fields of the target (required ones marked) and the keys mapped to
    each: what a form can fill, and nothing it cannot. Pure."""
    ns = config.namespace
    keys: dict[str, list[str]] = {}
    for m in config.mappings:
        if m.column is not None:
            keys.setdefault(ns.apply(m.field).lower(), []).append(m.column)
    rows = objects.usable_fields(schema, "create")
    for row in rows:
        row["mapped_from"] = keys.get(row["name"].lower(), [])
    return rows


async def form_fields(
    rt: Runtime, tenant_id: str, connection_id: str, config: InboundFormConfig
) -> list[dict[str, Any]]:
    """`fields_for_form` against the live describe of the connection's org."""

    async def work(client: SalesforceClient) -> list[dict[str, Any]]:
        schema = await records.schema_of(client, config.namespace.apply(config.object))
        return fields_for_form(config, schema)

    return await records.with_client(rt, tenant_id, connection_id, work)


async def integration_form_fields(rt: Runtime, tenant_id: str, ref: str) -> list[dict[str, Any]]:
    """`form_fields` of the tenant's inbound form `ref`, through its connection."""
    def load() -> tuple[str | None, InboundFormConfig]:
        with rt.db.begin() as session:
            integration = form_integration(session, tenant_id, ref)
            config = integrations_service.config_of(integration, rt.vault)
            assert isinstance(config, InboundFormConfig)
            return integration.connection_id, config

    connection_id, config = await anyio.to_thread.run_sync(load)
    if connection_id is None:
        raise Conflict(
            "the integration has no connection: attach one to see the fields it can fill",
            details=[{"field": "connection", "reason": "not connected"}],
        )
    return await form_fields(rt, tenant_id, connection_id, config)
