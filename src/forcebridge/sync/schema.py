"""What the sync core needs to know about an org's objects, as a protocol.

The Salesforce client's describe model (`forcebridge.salesforce.schema.SObjectSchema`) satisfies
`ObjectSchema` as it is, so the runner passes live describes straight in. `DescribedObject` is a
tiny adapter over a raw describe JSON dict, so the pure checks can be tested against recorded
describes without the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol


class FieldSchema(Protocol):
    """One field of a describe; attribute names follow the client's `FieldInfo`."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def createable(self) -> bool: ...
    @property
    def updateable(self) -> bool: ...
    @property
    def nillable(self) -> bool: ...
    @property
    def defaulted_on_create(self) -> bool: ...
    @property
    def external_id(self) -> bool: ...
    @property
    def id_lookup(self) -> bool: ...
    @property
    def length(self) -> int: ...
    @property
    def picklist_values(self) -> tuple[str, ...]: ...
    @property
    def restricted_picklist(self) -> bool: ...
    @property
    def reference_to(self) -> tuple[str, ...]: ...
    @property
    def relationship_name(self) -> str | None: ...


class ObjectSchema(Protocol):
    """One object's describe: its name and fields, looked up case-insensitively."""

    @property
    def name(self) -> str: ...
    @property
    def fields(self) -> Iterable[FieldSchema]: ...
    def field(self, name: str) -> FieldSchema | None: ...


SchemaLookup = Callable[[str], ObjectSchema | None]
"""Object name -> its describe, or None when the org has no such object."""


def required_on_create(field: FieldSchema) -> bool:
    """A create must carry it: createable, not nillable, not defaulted on create, and not a
    checkbox (Salesforce defaults those to false)."""
    return (
        field.createable and not field.nillable and not field.defaulted_on_create
        and field.type != "boolean"
    )


def precision_scale(field: FieldSchema) -> tuple[int | None, int | None]:
    """Number precision/scale when the model carries them (raw describe or client `raw`)."""
    raw = getattr(field, "raw", None)
    if isinstance(raw, Mapping):
        precision, scale = raw.get("precision"), raw.get("scale")
        return (precision or None, scale if isinstance(scale, int) else None)
    return (None, None)


class DescribedField:
    """`FieldSchema` over one entry of a describe's `fields` list."""

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    @property
    def name(self) -> str:
        return str(self.raw["name"])

    @property
    def type(self) -> str:
        return str(self.raw.get("type") or "")

    @property
    def createable(self) -> bool:
        return bool(self.raw.get("createable"))

    @property
    def updateable(self) -> bool:
        return bool(self.raw.get("updateable"))

    @property
    def nillable(self) -> bool:
        return bool(self.raw.get("nillable", True))

    @property
    def defaulted_on_create(self) -> bool:
        return bool(self.raw.get("defaultedOnCreate"))

    @property
    def external_id(self) -> bool:
        return bool(self.raw.get("externalId"))

    @property
    def id_lookup(self) -> bool:
        return bool(self.raw.get("idLookup"))

    @property
    def length(self) -> int:
        return int(self.raw.get("length") or 0)

    @property
    def picklist_values(self) -> tuple[str, ...]:
        values = self.raw.get("picklistValues") or []
        return tuple(str(p["value"]) for p in values if p.get("active", True))

    @property
    def restricted_picklist(self) -> bool:
        return bool(self.raw.get("restrictedPicklist"))

    @property
    def reference_to(self) -> tuple[str, ...]:
        return tuple(str(r) for r in self.raw.get("referenceTo") or [])

    @property
    def relationship_name(self) -> str | None:
        name = self.raw.get("relationshipName")
        return str(name) if name else None


class DescribedObject:
    """`ObjectSchema` over a raw `GET sobjects/X/describe` body."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self._fields = [DescribedField(f) for f in raw.get("fields") or []]
        self._by_name = {f.name.lower(): f for f in self._fields}

    @property
    def name(self) -> str:
        return str(self.raw["name"])

    @property
    def fields(self) -> list[DescribedField]:
        return self._fields

    def field(self, name: str) -> DescribedField | None:
        return self._by_name.get(name.lower())


def lookup_from(schemas: Iterable[ObjectSchema]) -> SchemaLookup:
    """A case-insensitive `SchemaLookup` over a fixed set of describes."""
    by_name = {s.name.lower(): s for s in schemas}
    return lambda name: by_name.get(name.lower())
