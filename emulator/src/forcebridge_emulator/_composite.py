"""sObject Collections: up to 200 records created, updated, upserted or deleted in one call.

They answer HTTP 200 even when records fail (README "Facts" 3): one result per record, in order,
with `statusCode` in errors; with `allOrNone` the failing records keep their errors and every
other one says ALL_OR_NONE_OPERATION_ROLLED_BACK (the Composite resource is composite_requests).
Docs followed where no recording exists: "Create Multiple Records with Fewer Round-Trips"
(resources_composite_sobjects_collections_create) and "allOrNone Parameters in Composite and
Collections Requests" (resources_composite_allornone).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from forcebridge_emulator._errors import ApiError, SaveError, SaveResult
from forcebridge_emulator._http import (
    SalesforceJSON,
    acting_user,
    api_version,
    lock_fault,
    read_json,
    read_json_object,
)
from forcebridge_emulator._parent_locks import lock_message
from forcebridge_emulator._pipeline import emulator_of, sf_route
from forcebridge_emulator._rest import external_field, render_record, sobject_of

BASE = "/services/data/{version}/composite"
MAX_RECORDS = 200
# Retrieve takes up to 2,000 ids (a GET meets 414 URI Too Long first, near 800).
MAX_RETRIEVE_POST = 2000
ROLLED_BACK = SaveError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
)


class Rollback(Exception):
    """Escapes `org.transaction()` so the org undoes every write of the call."""


def too_many(limit: int = MAX_RECORDS) -> ApiError:
    return ApiError(
        400,
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {limit} records into this call",
        [],
    )


async def _collection_body(request: Request) -> tuple[list[dict[str, Any]], bool]:
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError(
            400, "JSON_PARSER_ERROR", "Required field 'records' is missing or not a list"
        )
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise too_many()
    if not all(isinstance(r, dict) for r in records):
        raise ApiError(400, "JSON_PARSER_ERROR", "Each record must be a JSON object")
    return records, flag(body.get("allOrNone"))


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _type_of(record: dict[str, Any]) -> str:
    attributes = record.get("attributes")
    kind = attributes.get("type") if isinstance(attributes, dict) else None
    if not isinstance(kind, str) or not kind:
        raise ApiError(400, "INVALID_TYPE", "Must send a concrete entity type.", [])
    return kind


def _values(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "attributes"}


def _unknown_type(name: str) -> SaveResult:
    return SaveResult.failed(
        SaveError("INVALID_TYPE", f"sObject type '{name}' is not supported.", [])
    )


def run_records(
    request: Request,
    count: int,
    write: Callable[[int], SaveResult],
    all_or_none: bool,
    *,
    keep_ids: bool = False,
) -> list[SaveResult]:
    """Write `count` records through `write(i)`, honouring allOrNone and row-lock faults."""
    org = emulator_of(request).org
    locked = lock_fault(request)
    results: list[SaveResult] = []

    def one(i: int) -> SaveResult:
        if locked and i == 0:
            someone = acting_user(request) or ""
            return SaveResult.failed(SaveError("UNABLE_TO_LOCK_ROW", lock_message(someone), []))
        return write(i)

    if not all_or_none:
        return [one(i) for i in range(count)]
    try:
        with org.transaction():
            results = [one(i) for i in range(count)]
            if not all(r.success for r in results):
                raise Rollback
    except Rollback:
        results = [
            r if not r.success else SaveResult(r.id if keep_ids else None, False, [ROLLED_BACK])
            for r in results
        ]
    return results


def results_json(results: list[SaveResult], *, with_created: bool = False) -> SalesforceJSON:
    """Per-record results; a record that was not saved carries no id (docs' example)."""
    out = []
    for r in results:
        item = r.to_json(with_created=with_created and r.success)
        if item.get("id") is None:
            item.pop("id", None)
        out.append(item)
    return SalesforceJSON(out)


async def create_records(request: Request) -> Response:
    records, all_or_none = await _collection_body(request)
    types = [_type_of(r) for r in records]
    org = emulator_of(request).org
    user = acting_user(request)

    def write(i: int) -> SaveResult:
        obj = org.schema.get(types[i])
        if obj is None:
            return _unknown_type(types[i])
        return org.insert(obj.name, _values(records[i]), user_id=user)

    return results_json(run_records(request, len(records), write, all_or_none))


async def update_records(request: Request) -> Response:
    records, all_or_none = await _collection_body(request)
    types = [_type_of(r) for r in records]
    org = emulator_of(request).org
    user = acting_user(request)

    def write(i: int) -> SaveResult:
        obj = org.schema.get(types[i])
        if obj is None:
            return _unknown_type(types[i])
        values = _values(records[i])
        record_id = values.pop("Id", None) or values.pop("id", None)
        if not record_id:
            return SaveResult.failed(
                SaveError("MISSING_ARGUMENT", "Id not specified in an update call", [])
            )
        return org.update(obj.name, str(record_id), values, user_id=user)

    return results_json(run_records(request, len(records), write, all_or_none))


async def upsert_records(request: Request) -> Response:
    obj = sobject_of(request)
    field = external_field(obj, str(request.path_params["field"]))
    records, all_or_none = await _collection_body(request)
    for record in records:
        _type_of(record)
    org = emulator_of(request).org
    user = acting_user(request)

    def ext_value(i: int) -> Any:
        values = records[i]
        key = next((k for k in values if k.lower() == field.lower()), field)
        return values.get(key)

    seen: dict[str, int] = {}
    for i in range(len(records)):
        value = ext_value(i)
        if value not in (None, ""):
            seen[str(value)] = seen.get(str(value), 0) + 1

    def write(i: int) -> SaveResult:
        values = _values(records[i])
        value = ext_value(i)
        if value not in (None, "") and seen[str(value)] > 1:
            return SaveResult.failed(
                SaveError(
                    "DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {value}", [field]
                )
            )
        if field == "Id":
            values = {k: v for k, v in values.items() if k.lower() != "id"}
        return org.upsert(obj.name, field, value, values, user_id=user)

    results = run_records(request, len(records), write, all_or_none)
    return results_json(results, with_created=True)


async def delete_records(request: Request) -> Response:
    raw = request.query_params.get("ids", "")
    ids = [i.strip() for i in raw.split(",") if i.strip()]
    if not ids:
        raise ApiError(400, "REQUIRED_FIELD_MISSING", "At least 1 Id is required.")
    if len(ids) > MAX_RECORDS:
        raise too_many()
    all_or_none = flag(request.query_params.get("allOrNone"))
    org = emulator_of(request).org
    user = acting_user(request)

    def write(i: int) -> SaveResult:
        result = org.delete(None, ids[i], user_id=user)
        if result.id is None:
            result.id = ids[i]
        return result

    results = run_records(request, len(ids), write, all_or_none, keep_ids=True)
    for i, r in enumerate(results):
        r.id = r.id or ids[i]
    return SalesforceJSON([r.to_json() for r in results])


async def retrieve_records(request: Request) -> Response:
    """sObject Collections retrieve: `GET .../composite/sobjects/{O}?ids=&fields=` or `POST` with
    `{"ids": [...], "fields": [...]}` (REST API guide, "Get Records Using sObject Collections").
    Records come back in the order of `ids`; an id that is no live record of this object is
    `null` in its place, an unknown field a 400 INVALID_FIELD for the whole call."""
    obj = sobject_of(request)
    if request.method == "GET":
        wanted_ids = _listed(request.query_params.get("ids"))
        wanted_fields = _listed(request.query_params.get("fields"))
    else:
        body = await read_json_object(request)
        wanted_ids, wanted_fields = _strings(body, "ids"), _strings(body, "fields")
    if len(wanted_ids) > MAX_RETRIEVE_POST:
        raise too_many(MAX_RETRIEVE_POST)
    fields = []
    for name in wanted_fields:
        field = obj.field(name)
        if field is None:
            raise ApiError(
                400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}"
            )
        fields.append(field.name)
    org, version = emulator_of(request).org, api_version(request)
    out: list[dict[str, Any] | None] = []
    for record_id in wanted_ids:
        try:
            record = org.get(obj.name, record_id)
        except ApiError:
            out.append(None)
            continue
        out.append(render_record(version, obj.name, record, fields))
    return SalesforceJSON(out)


def _listed(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _strings(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, "JSON_PARSER_ERROR", f"'{key}' must be a list of strings")
    return [v.strip() for v in value if v.strip()]


def routes() -> list[BaseRoute]:
    return [
        *sf_route(f"{BASE}/sobjects/{{sobject}}", retrieve_records, ["GET", "POST"]),
        *sf_route(f"{BASE}/sobjects", create_records, ["POST"], per_record_faults=True),
        *sf_route(f"{BASE}/sobjects", update_records, ["PATCH"], per_record_faults=True),
        *sf_route(f"{BASE}/sobjects", delete_records, ["DELETE"], per_record_faults=True),
        *sf_route(
            f"{BASE}/sobjects/{{sobject}}/{{field}}",
            upsert_records,
            ["PATCH"],
            per_record_faults=True,
        ),
    ]
