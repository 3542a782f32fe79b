"""Save-time checks of an event-publishing integration against its org.

Platform events: the object exists, is a platform event the user can create, every field the
configuration names exists and is createable, the payload field is text, and every field the
event requires is written. Apex REST: the path answers at all. An Apex resource cannot be probed
with a POST (that would publish), so a GET is sent: Salesforce answers 404 NOT_FOUND ("Could not
find a match for URL") for a path no Apex class maps, and 405 for one that exists but takes only
POST; any answer other than 404 counts as reachable.
"""

from __future__ import annotations

import anyio

from forcebridge.kinds.event_publish import APEX_PREFIX, EventPublishConfig
from forcebridge.runtime import Runtime
from forcebridge.salesforce import (
    CredentialsError,
    SalesforceClient,
    SalesforceError,
    SObjectSchema,
)
from forcebridge.services import authorization, connections
from forcebridge.sync.plan import Problem

TEXT_TYPES = frozenset({"string", "textarea"})


async def check_config(
    rt: Runtime, tenant_id: str, connection_id: str | None, config: EventPublishConfig
) -> list[Problem]:
    """Every problem of `config` against the connection's org; [] without a connection."""
    if connection_id is None:
        return []

    def load() -> SalesforceClient:
        with rt.db.begin() as session:
            conn = connections.get(session, tenant_id, connection_id)
            return authorization.client_for(rt, session, conn)

    client = await anyio.to_thread.run_sync(load)
    try:
        async with client:
            if config.target_kind == "platform_event":
                return await _check_event(client, config)
            return await _check_apex(client, config)
    except CredentialsError as exc:
        return [Problem("connection", f"cannot be used yet: {exc}")]
    except SalesforceError as exc:
        return [Problem("connection", f"Salesforce answered {exc.code}: {exc.message}")]


async def _check_event(client: SalesforceClient, config: EventPublishConfig) -> list[Problem]:
    try:
        schema = await client.describe(config.target)
    except SalesforceError as exc:
        if exc.code in ("NOT_FOUND", "INVALID_TYPE"):
            return [Problem("target", f"the org has no object {config.target}")]
        raise
    return event_problems(schema, config)


def event_problems(schema: SObjectSchema, config: EventPublishConfig) -> list[Problem]:
    """Problems of a platform event configuration against the event's describe (pure)."""
    problems: list[Problem] = []
    if not schema.name.endswith("__e"):
        problems.append(Problem("target", f"{schema.name} is not a platform event"))
    if not schema.createable:
        problems.append(Problem("target", f"the connection's user cannot publish {schema.name}"))
    written: set[str] = set()
    for name in config.mapped_fields:
        info = schema.field(name)
        if info is None:
            problems.append(Problem(name, f"{schema.name} has no field {name}"))
            continue
        written.add(info.name.lower())
        if not info.createable:
            problems.append(Problem(info.name, "is not createable"))
    for text_field in (
        config.type_field,
        config.key_field,
        config.idempotency_field,
        config.payload_field,
    ):
        info = schema.field(text_field) if text_field else None
        if info is not None and info.type not in TEXT_TYPES:
            problems.append(Problem(info.name, f"must be a text field, not {info.type}"))
    payload = schema.field(config.payload_field) if config.payload_field else None
    if payload is not None and payload.type != "textarea" and payload.length < 1000:
        problems.append(
            Problem(
                payload.name,
                f"holds only {payload.length} characters; payloads need a long text area",
            )
        )
    for name in schema.required_on_create:
        if name.lower() not in written:
            problems.append(
                Problem(
                    name,
                    f"is required by {schema.name}; name it as type_field, "
                    "key_field, idempotency_field, payload_field or in payload_fields",
                )
            )
    return problems


async def _check_apex(client: SalesforceClient, config: EventPublishConfig) -> list[Problem]:
    try:
        await client.request("GET", APEX_PREFIX + config.apex_path)
    except SalesforceError as exc:
        if exc.status == 404:
            return [Problem("target", f"no Apex REST resource answers at {config.target}")]
        if exc.status in (401, 403) and exc.code not in ("METHOD_NOT_ALLOWED",):
            return [Problem("target", f"{config.target} refused the connection: {exc.code}")]
    return []
