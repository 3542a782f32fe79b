"""Records of any object in a connection's org, and the objects and fields the org has.

Paths (under /api/v1/connections/{ref}, `ref` a connection name or id):

| method | path | does |
|---|---|---|
| POST | /records/{object} | create |
| GET, PATCH, DELETE | /records/{object}/{id} | get (`?fields=A,B`), update, delete |
| GET | /records/{object}/by/{field}/{value} | get by any idLookup field |
| PATCH | /records/{object}/by/{field}/{value} | update the one record with that external id |
| PUT | /records/{object}/by/{field}/{value} | upsert by external id |
| GET | /objects?search=TEXT | the org's objects |
| GET | /objects/{object}/fields?for=create,update,lookup | the fields an operation can use |

Salesforce's refusals answer `{"error": {"code": <Salesforce code>, "message", "details":
[{"field", "reason", "code"}]}}` (see services.records.SalesforceRejected).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from forcebridge.api.auth import Principal, principal, runtime
from forcebridge.runtime import Runtime
from forcebridge.services import objects, records
from forcebridge.services.objects import Purpose

router = APIRouter(prefix="/connections/{ref}", tags=["records"])

_FIELDS = Query(
    None,
    description="Comma-separated fields to answer, e.g. `Subject,Status` (default: all).",
)
_VALUES = Body(
    ...,
    description='Field values by API name, e.g. `{"Name": "Acme"}`.',
    json_schema_extra={"minProperties": 1},
    examples=[{"Name": "Acme", "Industry": "Energy"}],
)


class Record(BaseModel):
    """A record's fields by API name, as Salesforce answers them (with `attributes`)."""

    model_config = ConfigDict(extra="allow")


class RecordSaved(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    id: str | None = Field(description="The record's Salesforce id.")
    created: bool = Field(description="Whether the record was created (else updated).")


class RecordsFound(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    total_size: int
    records: list[Record]


class ObjectOut(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    name: str
    label: str
    custom: bool
    createable: bool
    queryable: bool
    key_prefix: str | None


class FieldOut(BaseModel):
    """A field an operation can use; `required`: a create must carry it."""

    model_config = ConfigDict(extra="forbid")  # a field the view grows must be declared

    name: str
    label: str
    type: str
    required: bool
    external_id: bool
    id_lookup: bool
    unique: bool
    reference_to: list[str]
    picklist_values: list[str]


def _split(fields: str | None) -> list[str] | None:
    return [f for f in (fields or "").split(",") if f.strip()] or None


@router.post("/records/{sobject}", status_code=201, response_model=RecordSaved)
async def create_record(
    ref: str,
    sobject: str,
    values: dict[str, Any] = _VALUES,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Create one record of `sobject`; answers `{"id", "created": true}`.

    Salesforce's validation errors answer 422 with its code (e.g. `REQUIRED_FIELD_MISSING`)
    and the fields it named."""
    saved = await records.create(rt, who.tenant_id, ref, sobject, values)
    return saved.to_json()


@router.get("/records/{sobject}/by/{field}/{value:path}", response_model=RecordsFound)
async def get_records_by(
    ref: str,
    sobject: str,
    field: str,
    value: str,
    fields: str | None = _FIELDS,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Records whose id-lookup `field` (e.g. `CaseNumber`, `Email`, an external id) equals
    `value`: `{"records": [...]}` (up to 200; a field like Email need not be unique).

    404 when nothing matches; 422 naming the valid lookup fields when `field` is not one."""
    found = await records.get_by(rt, who.tenant_id, ref, sobject, field, value, _split(fields))
    return {"total_size": len(found), "records": found}


@router.patch("/records/{sobject}/by/{field}/{value:path}", response_model=Record)
async def update_record_by(
    ref: str,
    sobject: str,
    field: str,
    value: str,
    values: dict[str, Any] = _VALUES,
    fields: str | None = _FIELDS,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Update the one record whose external id (any id-lookup field) `field` equals `value`;
    answers the record as it now is (only `?fields=` when given).

    Never creates a record (use PUT for an upsert): 404 when none matches, 409 when several do."""
    return await records.update_by(
        rt, who.tenant_id, ref, sobject, field, value, values, _split(fields)
    )


@router.put(
    "/records/{sobject}/by/{field}/{value:path}", response_model=RecordSaved,
    responses={201: {"model": RecordSaved, "description": "No record matched: created."}},
)
async def upsert_record(
    ref: str,
    sobject: str,
    field: str,
    value: str,
    response: Response,
    values: dict[str, Any] = _VALUES,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Upsert by external id: create the record if no `field` equals `value` (201), else
    update it (200). Answers `{"id", "created"}`; several matches answer 409."""
    saved = await records.upsert(rt, who.tenant_id, ref, sobject, field, value, values)
    response.status_code = 201 if saved.created else 200
    return saved.to_json()


@router.get("/records/{sobject}/{record_id}", response_model=Record)
async def get_record(
    ref: str,
    sobject: str,
    record_id: str,
    fields: str | None = _FIELDS,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """One record by id, with only `?fields=` when given; 404 when it does not exist."""
    return await records.get(rt, who.tenant_id, ref, sobject, record_id, _split(fields))


@router.patch("/records/{sobject}/{record_id}", response_model=Record)
async def update_record(
    ref: str,
    sobject: str,
    record_id: str,
    values: dict[str, Any] = _VALUES,
    fields: str | None = _FIELDS,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> dict[str, Any]:
    """Update one record by id; answers the record as it now is (only `?fields=` when given)."""
    return await records.update(rt, who.tenant_id, ref, sobject, record_id, values, _split(fields))


@router.delete("/records/{sobject}/{record_id}", status_code=204)
async def delete_record(
    ref: str,
    sobject: str,
    record_id: str,
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> Response:
    """Delete one record by id (Salesforce may refuse, e.g. `DELETE_FAILED` for an Account
    with cases)."""
    await records.delete(rt, who.tenant_id, ref, sobject, record_id)
    return Response(status_code=204)


@router.get("/objects", response_model=list[ObjectOut])
async def list_objects(
    ref: str,
    search: str | None = Query(None, description="Keep objects whose name or label contains it."),
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> list[dict[str, Any]]:
    """The objects of the connection's org (name, label, custom, createable, queryable)."""
    return await objects.list_objects(rt, who.tenant_id, ref, search)


@router.get("/objects/{sobject}/fields", response_model=list[FieldOut])
async def list_fields(
    ref: str,
    sobject: str,
    purpose: Purpose | None = Query(
        None,
        alias="for",
        description="create: createable fields (`required` marks those a create must carry); "
        "update: updateable fields; lookup: id-lookup fields usable with `by/{field}`.",
    ),
    who: Principal = Depends(principal),
    rt: Runtime = Depends(runtime),
) -> list[dict[str, Any]]:
    """The fields of `sobject` an operation can use; 404 naming the object if the org has none."""
    return await objects.list_fields(rt, who.tenant_id, ref, sobject, purpose)
