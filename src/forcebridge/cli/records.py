"""`forcebridge records ...`: create, get, update, upsert and delete records of any object."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import typer

from forcebridge.cli.inputs import json_object
from forcebridge.cli.output import (
    JsonOption,
    TenantOption,
    console,
    emit,
    emit_one,
    runtime,
    tenant_id,
)
from forcebridge.errors import InvalidInput
from forcebridge.runtime import Runtime
from forcebridge.services import objects, records

T = TypeVar("T")
app = typer.Typer(no_args_is_help=True)

ConnectionOption = typer.Option(..., "--connection", "-c", help="Connection name or id.")
_OBJECT = typer.Argument(..., help="Object API name, e.g. Account or Invoice__c.")
_VALUES = typer.Argument(None, help="Field values as Name=Acme (several allowed).")
_JSON_BODY = typer.Option(
    None, "--json-body", help="Field values as a JSON object, or @file.json to read one."
)
_FIELDS = typer.Option(None, "--fields", help="Fields to show, comma-separated: Subject,Status.")


def _assignments(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput.field(pair, "write field values as Field=value, e.g. Name=Acme")
        out[name.strip()] = value
    return out


def _json_body(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    return json_object(raw, "--json-body", what="a JSON object of field values")


def _values(
    rt: Runtime,
    tid: str,
    connection: str,
    sobject: str,
    pairs: list[str] | None,
    body: str | None,
) -> dict[str, Any]:
    """JSON body values, then Name=value pairs typed by the object's field types."""
    values = _json_body(body)
    given = _assignments(pairs)
    if given:
        schema = anyio.run(objects.describe, rt, tid, connection, sobject)
        values |= objects.typed_values(schema, given)
    if not values:
        raise InvalidInput.field("values", "give field values as Name=Acme or --json-body")
    return values


def _write(
    tenant: str | None, connection: str, sobject: str, pairs: list[str] | None,
    body: str | None, operation: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any,
) -> T:
    """`operation(rt, tenant_id, connection, sobject, *args, values=..., **kwargs)` with the
    values the user gave (`_values`)."""
    rt = runtime()
    tid = tenant_id(rt, tenant)
    values = _values(rt, tid, connection, sobject, pairs, body)
    call = functools.partial(operation, rt, tid, connection, sobject, *args, values=values,
                             **kwargs)
    return anyio.run(call)


def _split(fields: str | None) -> list[str] | None:
    return [f for f in (fields or "").split(",") if f.strip()] or None


@app.command("create")
def create(
    sobject: str = _OBJECT,
    values: list[str] | None = _VALUES,
    connection: str = ConnectionOption,
    tenant: str | None = TenantOption,
    json_body: str | None = _JSON_BODY,
    as_json: bool = JsonOption,
) -> None:
    """Create one record: `records create Account Name=Acme Industry=Energy`."""
    saved = _write(tenant, connection, sobject, values, json_body, records.create)
    emit_one(saved.to_json(), as_json=as_json)


@app.command("get")
def get(
    sobject: str = _OBJECT,
    key: str = typer.Argument(..., help="Record id, or the value of the --by field."),
    connection: str = ConnectionOption,
    tenant: str | None = TenantOption,
    by: str | None = typer.Option(
        None, "--by", help="Look up by this id-lookup field instead of the id, e.g. CaseNumber."
    ),
    fields: str | None = _FIELDS,
    as_json: bool = JsonOption,
) -> None:
    """Show a record by id, or the records whose --by field equals KEY."""
    rt = runtime()
    tid = tenant_id(rt, tenant)
    wanted = _split(fields)
    if by is None:
        record = anyio.run(records.get, rt, tid, connection, sobject, key, wanted)
        emit_one(_plain(record), as_json=as_json)
        return
    found = anyio.run(records.get_by, rt, tid, connection, sobject, by, key, wanted)
    rows = [_plain(r) for r in found]
    if len(rows) == 1:
        emit_one(rows[0], as_json=as_json)
    else:
        emit(rows, list(rows[0]), as_json=as_json, title=f"{len(rows)} {sobject} records")


@app.command("update")
def update(
    sobject: str = _OBJECT,
    key: str = typer.Argument(..., help="Record id, or the external id value with --by."),
    values: list[str] | None = _VALUES,
    connection: str = ConnectionOption,
    tenant: str | None = TenantOption,
    by: str | None = typer.Option(
        None, "--by", help="Find the record by this external id field; never creates one."
    ),
    json_body: str | None = _JSON_BODY,
    fields: str | None = _FIELDS,
    as_json: bool = JsonOption,
) -> None:
    """Update one record by id or by external id: `records update Account A-1 --by External_Id__c Phone=555`."""
    wanted = _split(fields)
    if by is None:
        record = _write(tenant, connection, sobject, values, json_body, records.update, key,
                        fields=wanted)
    else:
        record = _write(tenant, connection, sobject, values, json_body, records.update_by, by,
                        key, fields=wanted)
    emit_one(_plain(record), as_json=as_json)


@app.command("upsert")
def upsert(
    sobject: str = _OBJECT,
    key: str = typer.Argument(..., help="The external id value."),
    values: list[str] | None = _VALUES,
    connection: str = ConnectionOption,
    tenant: str | None = TenantOption,
    by: str = typer.Option(..., "--by", help="The external id field, e.g. External_Id__c."),
    json_body: str | None = _JSON_BODY,
    as_json: bool = JsonOption,
) -> None:
    """Create or update by external id: `records upsert Account A-1 --by External_Id__c Name=Acme`."""
    saved = _write(tenant, connection, sobject, values, json_body, records.upsert, by, key)
    emit_one(saved.to_json(), as_json=as_json)


@app.command("delete")
def delete(
    sobject: str = _OBJECT,
    record_id: str = typer.Argument(..., help="Record id."),
    connection: str = ConnectionOption,
    tenant: str | None = TenantOption,
) -> None:
    """Delete one record by id."""
    rt = runtime()
    tid = tenant_id(rt, tenant)
    anyio.run(records.delete, rt, tid, connection, sobject, record_id)
    console.print(f"deleted {sobject} {record_id}")


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """A record without Salesforce's `attributes` block, for showing."""
    return {k: v for k, v in record.items() if k != "attributes"}
