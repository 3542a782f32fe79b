"""What a run, a plan and a save-time check all need first: the source, and the org's describes.

`describe_for` describes the target object, then the parents that reference mappings point
at, and hands `plan.check` a lookup over them (an object the org does not have is None, so
the check names it instead of failing on it). `open_for` opens the integration's source,
the push source included. `preparation` builds the mapper and differ a run and a plan
prepare batches with. `loaded` reads an integration and builds its client in one
transaction; nothing here keeps a transaction open across Salesforce calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from forcebridge.errors import Conflict
from forcebridge.runs import state
from forcebridge.runtime import Runtime
from forcebridge.salesforce import RecordError, SalesforceClient, SObjectSchema
from forcebridge.services import authorization, connections, data_sources
from forcebridge.services import integrations as integrations_service
from forcebridge.sources import Source, open_source
from forcebridge.sources.push import PushSource, PushSourceSpec
from forcebridge.store.integrations import Integration
from forcebridge.sync.config import EntitySyncConfig
from forcebridge.sync.diff import Differ
from forcebridge.sync.mapper import Mapper, compile_mapping
from forcebridge.sync.mapping import SyncMode
from forcebridge.sync.plan import referenced_objects
from forcebridge.sync.prepare import mapping_fingerprint
from forcebridge.sync.readback import compared_for
from forcebridge.sync.schema import ObjectSchema, SchemaLookup, lookup_from

_MISSING_CODES = frozenset({"NOT_FOUND", "INVALID_TYPE"})


@dataclass
class Described:
    """The target's describe (None when the org has no such object) and a lookup over it and
    its parents."""

    target: SObjectSchema | None
    lookup: SchemaLookup


async def _describe(client: SalesforceClient, name: str) -> SObjectSchema | None:
    try:
        return await client.describe(name)
    except RecordError as exc:
        if exc.code in _MISSING_CODES or exc.status == 404:
            return None
        raise


async def describe_for(client: SalesforceClient, config: EntitySyncConfig) -> Described:
    target = await _describe(client, config.mapping.resolved_object())
    schemas: list[ObjectSchema] = []
    if target is not None:
        schemas.append(target)
        for parent in sorted(referenced_objects(config.mapping, target)):
            if parent.lower() == target.name.lower():
                continue
            found = await _describe(client, parent)
            if found is not None:
                schemas.append(found)
    return Described(target, lookup_from(schemas))


def open_for(
    rt: Runtime, tenant_id: str, integration_id: str, config: EntitySyncConfig
) -> Source:
    """The integration's source, located now among the data sources granted to its tenant
    (`SourceRefused` when it is no longer reachable); nothing is read until its batches are
    iterated."""
    if isinstance(config.source, PushSourceSpec):
        return PushSource(rt.db, integration_id, config.source)
    with rt.db.session() as session:
        located = data_sources.locate(rt, session, tenant_id, config.source)
    return open_source(config.source, located, filtered=not config.filters.passes_all)


@dataclass
class Loaded:
    integration_id: str
    tenant_id: str
    name: str
    config: EntitySyncConfig
    client: SalesforceClient
    # the connection's share of the org's daily API allocation (its api_budget_percent)
    api_budget_share: float


def entity_config(rt: Runtime, integration: Integration) -> EntitySyncConfig:
    if integration.kind != "entity_sync":
        raise Conflict(f"integration {integration.name!r} is a {integration.kind} integration, "
                       "not an entity sync: it has no runs")
    config = integrations_service.config_of(integration, rt.vault)
    assert isinstance(config, EntitySyncConfig)
    return config


@dataclass
class Preparation:
    """The mapper and differ a run (and a plan, which counts what a run would do) prepare
    source batches with; `fingerprint` salts raw-row hashes and keys a SQL cursor."""

    mapper: Mapper
    differ: Differ
    fingerprint: str


def preparation_for(
    rt: Runtime, integration_id: str, org_id: str, config: EntitySyncConfig,
    target: ObjectSchema | None,
) -> Preparation:
    """The mapper and differ for this integration's mapping against `target`, reading the
    sync state the org `org_id` confirmed."""
    mode = config.mode
    mapper = compile_mapping(config.mapping, target, mode)
    fingerprint = mapping_fingerprint(config.mapping, target, mode)
    # records written are stamped with their compared fields' digests: a reconciling run
    # checks an unchanged row against the org's by them, without mapping it (runs.reconcile)
    compared = compared_for(mapper, target) if mapper.external_id_field else None
    differ = Differ(state.StoredState(rt.db, integration_id, org_id), scope=mapper.scope,
                    track_seen=mode is SyncMode.MIRROR, fingerprint=fingerprint,
                    compared=compared)
    return Preparation(mapper, differ, fingerprint)


def client_of(rt: Runtime, session: object, tenant_id: str, connection_id: str) -> SalesforceClient:
    conn = connections.get(session, tenant_id, connection_id)  # type: ignore[arg-type]
    return authorization.client_for(rt, session, conn)


def loaded(rt: Runtime, session: object, integration: Integration) -> Loaded:
    """The integration's config and a client for its connection (it must have one)."""
    if integration.connection_id is None:
        raise Conflict(f"integration {integration.name!r} is not connected: attach a "
                       "connection first")
    conn = connections.get(session, integration.tenant_id, integration.connection_id)  # type: ignore[arg-type]
    return Loaded(
        integration.id, integration.tenant_id, integration.name, entity_config(rt, integration),
        authorization.client_for(rt, session, conn), conn.api_budget_percent / 100,
    )
