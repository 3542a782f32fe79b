"""What a connection's org has: its objects, and the fields each operation can use.

Suggestions are filtered by what the operation accepts (createable for create, updateable for
update, idLookup for a lookup or an upsert key), so a user picks only from fields that work;
"required" marks the fields a create cannot do without (Salesforce's rule, in FieldInfo).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from forcebridge.errors import InvalidInput
from forcebridge.runtime import Runtime
from forcebridge.salesforce import SalesforceClient, SObjectSchema
from forcebridge.services import records

Purpose = Literal["create", "update", "lookup"]
PURPOSES: tuple[Purpose, ...] = ("create", "update", "lookup")
_NUMBER_TYPES = frozenset({"double", "currency", "percent"})


async def list_objects(
    rt: Runtime, tenant_id: str, ref: str, search: str | None = None
) -> list[dict[str, Any]]:
    """The org's objects, those whose name or label contains `search` (any case) when given."""

    async def work(client: SalesforceClient) -> list[dict[str, Any]]:
        described = await client.describe_global()
        needle = (search or "").strip().lower()
        return [
            {
                "name": o.name,
                "label": o.label,
                "custom": o.custom,
                "createable": o.createable,
                "queryable": o.queryable,
                "key_prefix": o.key_prefix,
            }
            for o in described.sobjects
            if not needle or needle in o.name.lower() or needle in o.label.lower()
        ]

    return await records.with_client(rt, tenant_id, ref, work)


def usable_fields(schema: SObjectSchema, purpose: Purpose | None) -> list[dict[str, Any]]:
    """The fields an operation can use: createable for create, updateable for update,
    idLookup for lookup (every field when `purpose` is None). Pure."""
    keep = {
        None: lambda f: True,
        "create": lambda f: f.createable,
        "update": lambda f: f.updateable,
        "lookup": lambda f: f.id_lookup,
    }[purpose]
    return [
        {
            "name": f.name,
            "label": f.label,
            "type": f.type,
            "required": f.required_on_create if purpose in (None, "create") else False,
            "external_id": f.external_id,
            "id_lookup": f.id_lookup,
            "unique": f.unique,
            "reference_to": list(f.reference_to),
            "picklist_values": list(f.picklist_values),
        }
        for f in schema.fields
        if keep(f)
    ]


async def list_fields(
    rt: Runtime, tenant_id: str, ref: str, sobject: str, purpose: Purpose | None = None
) -> list[dict[str, Any]]:
    if purpose is not None and purpose not in PURPOSES:
        raise InvalidInput.field("for", f"must be one of: {', '.join(PURPOSES)}")

    async def work(client: SalesforceClient) -> list[dict[str, Any]]:
        return usable_fields(await records.schema_of(client, sobject), purpose)

    return await records.with_client(rt, tenant_id, ref, work)


async def describe(rt: Runtime, tenant_id: str, ref: str, sobject: str) -> SObjectSchema:
    """The object's schema (the CLI turns `Name=Acme` strings into typed values with it)."""
    return await records.with_client(rt, tenant_id, ref, lambda c: records.schema_of(c, sobject))


def typed_values(schema: SObjectSchema | None, assignments: Mapping[str, str]) -> dict[str, Any]:
    """`Name=Acme`-style strings as JSON values by field type: numbers, booleans, "" as null.
    Unknown fields stay strings so Salesforce names them in its answer. Pure."""
    out: dict[str, Any] = {}
    for name, raw in assignments.items():
        info = schema.field(name) if schema is not None else None
        if raw == "":
            out[name] = None
        elif info is None:
            out[name] = raw
        elif info.type == "boolean" and raw.lower() in ("true", "false"):
            out[name] = raw.lower() == "true"
        elif info.type == "int" and _is_number(raw, integer=True):
            out[name] = int(raw)
        elif info.type in _NUMBER_TYPES and _is_number(raw):
            out[name] = float(raw)
        else:
            out[name] = raw
    return out


def _is_number(raw: str, *, integer: bool = False) -> bool:
    try:
        int(raw) if integer else float(raw)
    except ValueError:
        return False
    return True
