"""Record operations on any object of a connection's org: create, get, update, upsert, delete.

Every operation describes the object first, so an unknown object is a clear "not found" naming
it, and a lookup field or a response field is checked against the org's real schema before a
call is made. Lookups by a user-supplied value go through the client's `get_by`, which builds
the SOQL with `soql_literal`: quotes and backslashes in the value cannot change the query.

Salesforce's own refusals come back as one error, `SalesforceRejected`, carrying Salesforce's
code and fields, raised as the subclass of its meaning (not found, conflict, the record's data,
cannot log in, try later), chosen here, in one place, for every face alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from forcebridge.errors import (
    AuthorizationFailed,
    Conflict,
    ForcebridgeError,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from forcebridge.runtime import Runtime
from forcebridge.salesforce import (
    AuthenticationError,
    AuthorizationRevoked,
    CredentialsError,
    LimitExceeded,
    OutcomeUnknown,
    RetryableError,
    SalesforceClient,
    SalesforceError,
    SObjectSchema,
)
from forcebridge.services import authorization, connections

T = TypeVar("T")
# At most this many records answer a lookup by a non-unique field (Email, Name, ...).
LOOKUP_LIMIT = 200

_NOT_FOUND_CODES = frozenset({"NOT_FOUND", "ENTITY_IS_DELETED"})
_CONFLICT_CODES = frozenset({"MULTIPLE_CHOICES", "DUPLICATE_EXTERNAL_ID", "DUPLICATE_VALUE"})


class SalesforceRejected(ForcebridgeError):
    """Salesforce refused a call: its code (e.g. REQUIRED_FIELD_MISSING) and the fields it named.

    Raised as the subclass that says whose move it is (`rejected`): the record is not there,
    several records match, the record's data, the connection cannot log in, or try again later.
    """

    def __init__(self, exc: SalesforceError, *, connection: str = "") -> None:
        self.code = exc.code
        details = [
            {"field": name, "reason": e.message, "code": e.code}
            for e in exc.errors
            for name in (e.fields or (None,))
        ]
        message = exc.message or exc.code
        if isinstance(exc, AuthenticationError):
            message = (
                f"connection {connection!r} cannot log in to Salesforce: {exc.code}: {message}"
            )
        elif isinstance(exc, OutcomeUnknown):
            message = f"{message} (the record may have been created; check before retrying)"
        super().__init__(message, details=details)


class RecordRejected(InvalidInput, SalesforceRejected):
    """The record's data: a required field missing, a value of the wrong type, a rule."""


class RecordNotFound(NotFound, SalesforceRejected):
    """No record with that id or key (or it is deleted)."""


class RecordConflict(Conflict, SalesforceRejected):
    """Several records match the key, or the value is already taken."""


class CannotLogIn(AuthorizationFailed, SalesforceRejected):
    """The connection's credentials no longer work."""


class OrgLimitReached(TooManyRequests, SalesforceRejected):
    """The org's API limit is used up."""


class OrgUnavailable(Unavailable, SalesforceRejected):
    """Salesforce is busy or down (or a row is locked): the same call may work later."""


def rejected(exc: SalesforceError, *, connection: str = "") -> SalesforceRejected:
    """Salesforce's refusal as the `SalesforceRejected` of its meaning."""
    kind: type[SalesforceRejected] = RecordRejected
    if isinstance(exc, AuthenticationError):
        kind = CannotLogIn
    elif isinstance(exc, LimitExceeded):
        kind = OrgLimitReached
    elif isinstance(exc, RetryableError):
        kind = OrgUnavailable
    elif exc.code in _NOT_FOUND_CODES:
        kind = RecordNotFound
    elif exc.code in _CONFLICT_CODES:
        kind = RecordConflict
    return kind(exc, connection=connection)


@dataclass(frozen=True)
class Saved:
    """What a write did: the record's id, and for upserts whether it was inserted."""

    id: str | None
    created: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "created": self.created}


# -- running a call on a connection ----------------------------------------------------------
async def with_client(
    rt: Runtime,
    tenant_id: str,
    ref: str,
    work: Callable[[SalesforceClient], Awaitable[T]],
) -> T:
    """Open the connection's client, run `work`, and turn Salesforce's refusals into ours."""

    def load() -> tuple[str, str, SalesforceClient]:
        with rt.db.begin() as session:
            conn = connections.get(session, tenant_id, ref)
            return conn.id, conn.name, authorization.client_for(rt, session, conn)

    conn_id, name, client = await anyio.to_thread.run_sync(load)
    try:
        async with client:
            return await work(client)
    except AuthorizationRevoked as exc:
        reason = f"{exc.code}: {exc.message}" if exc.message else exc.code
        await anyio.to_thread.run_sync(
            authorization.mark_needs_reauthorization, rt, tenant_id, conn_id, reason
        )
        raise rejected(exc, connection=name) from None
    except SalesforceError as exc:
        raise rejected(exc, connection=name) from None
    except CredentialsError as exc:  # e.g. a web-server flow never authorized
        raise Conflict(
            f"connection {name!r} cannot be used yet: {exc}; authorize it first",
            details=[{"field": "connection", "reason": str(exc)}],
        ) from None


async def schema_of(client: SalesforceClient, sobject: str) -> SObjectSchema:
    """The object's describe; an object the org does not have is a 404 naming it."""
    try:
        return await client.describe(sobject)
    except CredentialsError:
        raise
    except ValueError:  # not even a valid name
        raise _no_object(sobject) from None
    except SalesforceError as exc:
        if exc.code in _NOT_FOUND_CODES or exc.code == "INVALID_TYPE":
            raise _no_object(sobject) from None
        raise


def _no_object(sobject: str) -> NotFound:
    return NotFound(
        f"object {sobject!r} does not exist in this org (or the connection's user cannot see it)",
        details=[{"field": "object", "reason": f"unknown object {sobject}"}],
    )


def _lookup_field(schema: SObjectSchema, name: str) -> str:
    """The API name of an idLookup field, or a 422 naming it and listing the valid ones."""
    valid = schema.id_lookup_fields
    info = schema.field(name)
    if info is None or not info.id_lookup:
        why = "is not a field of" if info is None else "is not an id-lookup field of"
        raise InvalidInput(
            f"{name!r} {why} {schema.name}; look records up by one of: {', '.join(valid)}",
            details=[{"field": name, "reason": f"valid lookup fields: {', '.join(valid)}"}],
        )
    return info.name


def _response_fields(schema: SObjectSchema, fields: Sequence[str] | None) -> list[str] | None:
    """Check the fields a caller wants back; unknown ones are named together in one 422."""
    if not fields:
        return None
    wanted = [f.strip() for f in fields if f.strip()]
    unknown = [f for f in wanted if schema.field(f) is None]
    if unknown:
        raise InvalidInput(
            f"{schema.name} has no field {', '.join(repr(f) for f in unknown)}",
            details=[{"field": f, "reason": f"not a field of {schema.name}"} for f in unknown],
        )
    return [schema.get_field(f).name for f in wanted] or None


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(values, Mapping) or not values:
        raise InvalidInput.field("body", "give at least one field value")
    return dict(values)


async def _find(
    client: SalesforceClient,
    schema: SObjectSchema,
    field: str,
    value: str,
    fields: Sequence[str] | None,
) -> list[dict[str, Any]]:
    by = _lookup_field(schema, field)
    # Without a choice, every field, like a get by id (base64 bodies cannot be queried in bulk).
    columns = _response_fields(schema, fields) or [
        f.name for f in schema.fields if f.type != "base64"
    ]
    if "Id" not in columns:
        columns = ["Id", *columns]
    try:
        return await client.get_by(schema.name, by, value, columns, limit=LOOKUP_LIMIT)
    except ValueError as exc:
        raise InvalidInput.field(by, str(exc)) from None


def _nothing_matches(schema: SObjectSchema, field: str, value: str) -> NotFound:
    return NotFound(
        f"no {schema.name} has {field} = {value!r}",
        details=[{"field": field, "reason": "no record matches"}],
    )


# -- the operations --------------------------------------------------------------------------
async def _on_object(
    rt: Runtime, tenant_id: str, ref: str, sobject: str,
    work: Callable[[SalesforceClient, SObjectSchema], Awaitable[T]],
) -> T:
    """`work` with a client of the connection `ref` and the described object `sobject`."""

    async def described(client: SalesforceClient) -> T:
        return await work(client, await schema_of(client, sobject))

    return await with_client(rt, tenant_id, ref, described)


async def create(
    rt: Runtime, tenant_id: str, ref: str, sobject: str, values: Mapping[str, Any]
) -> Saved:
    body = _values(values)

    async def work(client: SalesforceClient, schema: SObjectSchema) -> Saved:
        return Saved(await client.create(schema.name, body), created=True)

    return await _on_object(rt, tenant_id, ref, sobject, work)


async def get(
    rt: Runtime, tenant_id: str, ref: str, sobject: str,
    record_id: str, fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One record by id, with only `fields` when given."""

    async def work(client: SalesforceClient, schema: SObjectSchema) -> dict[str, Any]:
        try:
            return await client.get(schema.name, record_id, _response_fields(schema, fields))
        except ValueError as exc:
            raise InvalidInput.field("id", str(exc)) from None

    return await _on_object(rt, tenant_id, ref, sobject, work)


async def get_by(
    rt: Runtime, tenant_id: str, ref: str, sobject: str,
    field: str, value: str, fields: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The records whose idLookup `field` equals `value` (several for Email-like fields);
    none is a 404. At most LOOKUP_LIMIT records."""

    async def work(client: SalesforceClient, schema: SObjectSchema) -> list[dict[str, Any]]:
        found = await _find(client, schema, field, value, fields)
        if not found:
            raise _nothing_matches(schema, schema.get_field(field).name, value)
        return found

    return await _on_object(rt, tenant_id, ref, sobject, work)


RecordId = Callable[[SalesforceClient, SObjectSchema], Awaitable[str]]


async def _update(
    rt: Runtime, tenant_id: str, ref: str, sobject: str, which: RecordId,
    values: Mapping[str, Any], fields: Sequence[str] | None,
) -> dict[str, Any]:
    """Update the record `which` finds; the record as the org now holds it (only `fields`
    when given), read back after the write."""
    body = _values(values)

    async def work(client: SalesforceClient, schema: SObjectSchema) -> dict[str, Any]:
        columns = _response_fields(schema, fields)
        record_id = await which(client, schema)
        try:
            await client.update(schema.name, record_id, body)
        except ValueError as exc:
            raise InvalidInput.field("id", str(exc)) from None
        return await client.get(schema.name, record_id, columns)

    return await _on_object(rt, tenant_id, ref, sobject, work)


async def update(
    rt: Runtime, tenant_id: str, ref: str, sobject: str,
    record_id: str, values: Mapping[str, Any], fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Update one record by id; the record as the org now holds it (only `fields` when given),
    read back after the write."""

    async def by_id(client: SalesforceClient, schema: SObjectSchema) -> str:
        return record_id

    return await _update(rt, tenant_id, ref, sobject, by_id, values, fields)


async def update_by(
    rt: Runtime, tenant_id: str, ref: str, sobject: str,
    field: str, value: str, values: Mapping[str, Any], fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Update the one record whose idLookup `field` (an external id) equals `value`; never
    creates (that is `upsert`). No match is a 404, several a 409 listing their ids. Answers
    the record as the org now holds it, like `update`."""

    async def by_lookup(client: SalesforceClient, schema: SObjectSchema) -> str:
        found = await _find(client, schema, field, value, ["Id"])
        by = schema.get_field(field).name
        if not found:
            raise _nothing_matches(schema, by, value)
        if len(found) > 1:
            ids = [str(r.get("Id")) for r in found]
            raise Conflict(
                f"{len(found)} {schema.name} records have {by} = {value!r}; update one by id",
                details=[{"field": by, "reason": f"matches {i}"} for i in ids],
            )
        return str(found[0]["Id"])

    return await _update(rt, tenant_id, ref, sobject, by_lookup, values, fields)


async def upsert(
    rt: Runtime, tenant_id: str, ref: str, sobject: str,
    field: str, value: str, values: Mapping[str, Any],
) -> Saved:
    """Insert or update by external id; `created` says which. The value travels as one URL
    path segment (quoted), never inside SOQL."""
    body = _values(values)

    async def work(client: SalesforceClient, schema: SObjectSchema) -> Saved:
        by = _lookup_field(schema, field)
        try:
            result = await client.upsert(schema.name, by, value, body)
        except ValueError as exc:
            raise InvalidInput.field(by, str(exc)) from None
        record_id = result.id
        if record_id is None:  # an update answered 204: ask which record it was
            found = await client.get_by(schema.name, by, value, ["Id"], limit=1)
            record_id = str(found[0]["Id"]) if found else None
        return Saved(record_id, created=result.created)

    return await _on_object(rt, tenant_id, ref, sobject, work)


async def delete(rt: Runtime, tenant_id: str, ref: str, sobject: str, record_id: str) -> None:
    async def work(client: SalesforceClient, schema: SObjectSchema) -> None:
        try:
            await client.delete(schema.name, record_id)
        except ValueError as exc:
            raise InvalidInput.field("id", str(exc)) from None

    await _on_object(rt, tenant_id, ref, sobject, work)
