"""The REST API's core: versions, resource directory, limits, describe and single-record CRUD.

Status codes and bodies follow the recordings (sf-recordings README, "Facts" 1-5): create 201
`{id, success, errors}`, update and delete 204 with no body, upsert 201 for a new record and, from
v46.0 on, 200 with `created: false` for an existing one (204 before), 300 with record URLs when
the external id matches several records.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from forcebridge_emulator import _describe as describe
from forcebridge_emulator import _ids as ids
from forcebridge_emulator._errors import ApiError, SaveResult
from forcebridge_emulator._http import (
    NEWEST_VERSION,
    NOT_FOUND_MESSAGE,
    OLDEST_VERSION,
    SalesforceJSON,
    SaveFailure,
    acting_user,
    api_version,
    read_json_object,
    version_number,
)
from forcebridge_emulator._pipeline import emulator_of, sf_route
from forcebridge_emulator._schema import SObjectDef

BASE = "/services/data/{version}"
# Upserts answer 200 + `created: false` from this version on (204, no body, before).
UPSERT_BODY_SINCE = 46.0
_SEASONS = ("Spring", "Summer", "Winter")
# Salesforce answers these for an error code of a single-record write; the rest are 400.
_ERROR_STATUS = {"NOT_FOUND": 404, "ENTITY_IS_DELETED": 404}


def release_label(version: int) -> str:
    """The release name of API version `version`: v31.0 was Summer '14, three a year since."""
    steps = version - 31
    season = _SEASONS[(steps + 1) % 3]
    year = 14 + steps // 3 + (0 if season == "Summer" else 1)
    return f"{season} '{year:02d}"


def versions_body() -> list[dict[str, str]]:
    return [
        {"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
        for v in range(OLDEST_VERSION, NEWEST_VERSION + 1)
    ]


async def versions(request: Request) -> Response:
    """GET /services/data/ needs no session, as in Salesforce."""
    return SalesforceJSON(versions_body())


async def resources(request: Request) -> Response:
    version = api_version(request)
    emulator = emulator_of(request)
    base = f"/services/data/v{version}"
    names = (
        "tooling metadata eclair folders tabs appMenu quickActions queryAll commerce wave "
        "analytics search composite theme recent connect licensing limits query jobs "
        "sobjects actions support chatter flexiPage"
    ).split()
    body: dict[str, str] = {name: f"{base}/{name}" for name in names}
    session = request.state.session
    body["identity"] = (
        f"{emulator.instance_url(request)}/id/{emulator.org.config.org_id}/{session.user.user_id}"
    )
    return SalesforceJSON(dict(sorted(body.items())))


async def limits(request: Request) -> Response:
    return SalesforceJSON(emulator_of(request).usage.limits_body())


async def record_count(request: Request) -> Response:
    """GET limits/recordCount?sObjects=A,B (CumulusCI TestUpsert cassettes): live records per
    object; names the org does not know are left out."""
    org = emulator_of(request).org
    raw = request.query_params.get("sObjects")
    names = (
        [n.strip() for n in raw.split(",") if n.strip()] if raw else [o.name for o in org.schema]
    )
    counts = []
    for name in names:
        obj = org.schema.get(name)
        if obj is not None and not obj.is_platform_event:
            counts.append({"count": org.count(obj.name), "name": obj.name})
    return SalesforceJSON({"sObjects": counts})


def sobject_of(request: Request, name: str | None = None) -> SObjectDef:
    """The object named in the path, or 404 NOT_FOUND as Salesforce answers unknown objects."""
    obj = emulator_of(request).org.schema.get(name or str(request.path_params["sobject"]))
    if obj is None:
        raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    return obj


async def describe_global(request: Request) -> Response:
    schema = emulator_of(request).org.schema
    return SalesforceJSON(describe.describe_global(schema, api_version(request)))


async def describe_sobject(request: Request) -> Response:
    obj = sobject_of(request)
    base = emulator_of(request).instance_url(request)
    return SalesforceJSON(describe.describe_sobject(obj, api_version(request), base))


async def sobject_basic(request: Request) -> Response:
    """GET sobjects/{O}: the object's describe-global entry and its recent items."""
    entry = describe.sobject_info(sobject_of(request), api_version(request))
    return SalesforceJSON({"objectDescribe": entry, "recentItems": []})


def record_values(body: dict[str, Any]) -> dict[str, Any]:
    """A record body without its `attributes` map (type, url, referenceId)."""
    return {k: v for k, v in body.items() if k != "attributes"}


def raise_for_failure(result: SaveResult) -> None:
    """A failed single-record write as Salesforce answers it: the errors as a JSON array."""
    if result.success:
        return
    first = result.errors[0].status_code if result.errors else ""
    raise SaveFailure(_ERROR_STATUS.get(first, 400), list(result.errors))


async def create(request: Request) -> Response:
    obj = sobject_of(request)
    body = await read_json_object(request)
    result = emulator_of(request).org.insert(
        obj.name, record_values(body), user_id=acting_user(request)
    )
    raise_for_failure(result)
    location = record_url(api_version(request), obj.name, str(result.id))
    return SalesforceJSON(result.to_json(), status_code=201, headers={"Location": location})


def record_url(version: str, sobject: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{sobject}/{record_id}"


def render_record(
    version: str, sobject: str, record: dict[str, Any], fields: list[str] | None = None
) -> dict[str, Any]:
    """A stored record as GET returns it: `attributes` first, then every field, nulls included."""
    out: dict[str, Any] = {
        "attributes": {"type": sobject, "url": record_url(version, sobject, str(record["Id"]))}
    }
    if fields is None:
        out.update(record)
    else:
        for name in fields:
            out[name] = record.get(name)
        out.setdefault("Id", record["Id"])
    return out


def requested_fields(request: Request, obj: SObjectDef) -> list[str] | None:
    raw = request.query_params.get("fields")
    if raw is None:
        return None
    names: list[str] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        f = obj.field(part)
        if f is None:
            raise ApiError(
                400, "INVALID_FIELD", f"No such column '{part}' on sobject of type {obj.name}"
            )
        names.append(f.name)
    return names


async def get_record(request: Request) -> Response:
    obj = sobject_of(request)
    fields = requested_fields(request, obj)
    record = emulator_of(request).org.get(obj.name, str(request.path_params["record_id"]))
    return SalesforceJSON(render_record(api_version(request), obj.name, record, fields))


def path_record_id(request: Request) -> str:
    """The id segment of sobjects/{O}/{id}. A segment that is no id at all is read, as
    Salesforce reads it, as an external-id field name without a value (restforce fixture
    delete_error_response.json: 404 NOT_FOUND)."""
    record_id = str(request.path_params["record_id"])
    if ids.normalize(record_id) is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {record_id}",
        )
    return record_id


async def update_record(request: Request) -> Response:
    obj = sobject_of(request)
    record_id = path_record_id(request)
    body = await read_json_object(request)
    result = emulator_of(request).org.update(
        obj.name, record_id, record_values(body), user_id=acting_user(request)
    )
    raise_for_failure(result)
    return Response(status_code=204)


async def delete_record(request: Request) -> Response:
    obj = sobject_of(request)
    record_id = path_record_id(request)
    result = emulator_of(request).org.delete(obj.name, record_id, user_id=acting_user(request))
    raise_for_failure(result)
    return Response(status_code=204)


def external_field(obj: SObjectDef, name: str) -> str:
    """The API name of the key field of an upsert or lookup, or the recorded 404.

    Whether the field may key an upsert (external id, idLookup, Id) is the org's call.
    """
    f = obj.field(name)
    if f is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name}",
        )
    return f.name


def _matches(request: Request, obj: SObjectDef, field: str, value: str) -> list[str]:
    return list(emulator_of(request).org.find_by_external_id(obj.name, field, value))


def several_matches(request: Request, obj: SObjectDef, ids: list[str]) -> SalesforceJSON:
    """300 Multiple Choices: the URLs of every matching record (restforce fixture)."""
    version = api_version(request)
    return SalesforceJSON([record_url(version, obj.name, i) for i in ids], status_code=300)


async def get_by_external_id(request: Request) -> Response:
    obj = sobject_of(request)
    field = external_field(obj, str(request.path_params["field"]))
    value = str(request.path_params["value"])
    if field == "Id":
        ids = [value]
    else:
        ids = _matches(request, obj, field, value)
    if not ids:
        raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    if len(ids) > 1:
        return several_matches(request, obj, ids)
    fields = requested_fields(request, obj)
    record = emulator_of(request).org.get(obj.name, ids[0])
    return SalesforceJSON(render_record(api_version(request), obj.name, record, fields))


async def upsert_record(request: Request) -> Response:
    obj = sobject_of(request)
    field = external_field(obj, str(request.path_params["field"]))
    value = str(request.path_params["value"])
    body = record_values(await read_json_object(request))
    org = emulator_of(request).org
    result = org.upsert(obj.name, field, value, body, user_id=acting_user(request))
    if not result.success and result.errors[0].status_code == "DUPLICATE_EXTERNAL_ID":
        return several_matches(request, obj, _matches(request, obj, field, value))
    raise_for_failure(result)
    with_body = version_number(request) >= UPSERT_BODY_SINCE
    if result.created:
        # restforce-db upsert cassette: a created record comes with its Location.
        location = record_url(api_version(request), obj.name, str(result.id))
        return SalesforceJSON(
            result.to_json(with_created=with_body), status_code=201, headers={"Location": location}
        )
    if with_body:
        return SalesforceJSON(result.to_json(with_created=True), status_code=200)
    return Response(status_code=204)


async def delete_by_external_id(request: Request) -> Response:
    obj = sobject_of(request)
    field = external_field(obj, str(request.path_params["field"]))
    value = str(request.path_params["value"])
    ids = [value] if field == "Id" else _matches(request, obj, field, value)
    if not ids:
        raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    if len(ids) > 1:
        return several_matches(request, obj, ids)
    result = emulator_of(request).org.delete(obj.name, ids[0], user_id=acting_user(request))
    raise_for_failure(result)
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    return [
        Route("/services/data", versions, methods=["GET"]),
        Route("/services/data/", versions, methods=["GET"]),
        *sf_route(BASE, resources, ["GET"]),
        *sf_route(f"{BASE}/limits", limits, ["GET"]),
        *sf_route(f"{BASE}/limits/recordCount", record_count, ["GET"]),
        *sf_route(f"{BASE}/sobjects", describe_global, ["GET"]),
        *sf_route(f"{BASE}/sobjects/{{sobject}}/describe", describe_sobject, ["GET"]),
        *sf_route(f"{BASE}/sobjects/{{sobject}}", sobject_basic, ["GET"]),
        *sf_route(f"{BASE}/sobjects/{{sobject}}", create, ["POST"]),
        *sf_route(f"{BASE}/sobjects/{{sobject}}/{{record_id}}", get_record, ["GET"]),
        *sf_route(f"{BASE}/sobjects/{{sobject}}/{{record_id}}", update_record, ["PATCH"]),
        *sf_route(f"{BASE}/sobjects/{{sobject}}/{{record_id}}", delete_record, ["DELETE"]),
        *sf_route(
            f"{BASE}/sobjects/{{sobject}}/{{field}}/{{value:path}}", get_by_external_id, ["GET"]
        ),
        *sf_route(
            f"{BASE}/sobjects/{{sobject}}/{{field}}/{{value:path}}", upsert_record, ["PATCH"]
        ),
        *sf_route(
            f"{BASE}/sobjects/{{sobject}}/{{field}}/{{value:path}}",
            delete_by_external_id,
            ["DELETE"],
        ),
    ]
