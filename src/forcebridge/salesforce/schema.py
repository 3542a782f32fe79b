"""The describe answers as a model of the questions an integration asks about an org's schema.

Which fields must a create carry? Which can be written at all, on create or on update? Which
fields identify a record (id lookup, external ids, usable for upserts)? What values does a
picklist take, what does a reference point to? The rule for "required on create" is
Salesforce's: createable, not nillable and not defaulted on create (sf-recordings Fact 6:
Account [Name], Contact [LastName], Lead [LastName, Company]). Pure: built from JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldInfo:
    name: str
    label: str
    type: str
    createable: bool = False
    updateable: bool = False
    nillable: bool = True
    defaulted_on_create: bool = False
    external_id: bool = False
    id_lookup: bool = False
    unique: bool = False
    calculated: bool = False
    auto_number: bool = False
    length: int = 0
    picklist_values: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def required_on_create(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted_on_create

    @classmethod
    def from_describe(cls, d: dict[str, Any]) -> FieldInfo:
        picklist = tuple(
            str(p.get("value"))
            for p in d.get("picklistValues") or []
            if isinstance(p, dict) and p.get("active", True)
        )
        return cls(
            name=str(d["name"]),
            label=str(d.get("label") or d["name"]),
            type=str(d.get("type") or ""),
            createable=bool(d.get("createable")),
            updateable=bool(d.get("updateable")),
            nillable=bool(d.get("nillable", True)),
            defaulted_on_create=bool(d.get("defaultedOnCreate")),
            external_id=bool(d.get("externalId")),
            id_lookup=bool(d.get("idLookup")),
            unique=bool(d.get("unique")),
            calculated=bool(d.get("calculated")),
            auto_number=bool(d.get("autoNumber")),
            length=int(d.get("length") or 0),
            picklist_values=picklist,
            restricted_picklist=bool(d.get("restrictedPicklist")),
            reference_to=tuple(str(r) for r in d.get("referenceTo") or []),
            relationship_name=d.get("relationshipName"),
            raw=d,
        )


@dataclass(frozen=True)
class SObjectSchema:
    """One object's describe: its flags and its fields in describe order."""

    name: str
    label: str
    key_prefix: str | None
    custom: bool
    createable: bool
    updateable: bool
    deletable: bool
    queryable: bool
    fields: tuple[FieldInfo, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_describe(cls, d: dict[str, Any]) -> SObjectSchema:
        return cls(
            name=str(d["name"]),
            label=str(d.get("label") or d["name"]),
            key_prefix=d.get("keyPrefix"),
            custom=bool(d.get("custom")),
            createable=bool(d.get("createable")),
            updateable=bool(d.get("updateable")),
            deletable=bool(d.get("deletable")),
            queryable=bool(d.get("queryable")),
            fields=tuple(FieldInfo.from_describe(f) for f in d.get("fields") or []),
            raw=d,
        )

    def __iter__(self) -> Iterator[FieldInfo]:
        return iter(self.fields)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldInfo | None:
        """A field by API name, case-insensitively as Salesforce matches names."""
        wanted = name.lower()
        return next((f for f in self.fields if f.name.lower() == wanted), None)

    def get_field(self, name: str) -> FieldInfo:
        found = self.field(name)
        if found is None:
            raise KeyError(f"{self.name} has no field {name!r}")
        return found

    @property
    def required_on_create(self) -> list[str]:
        return [f.name for f in self.fields if f.required_on_create]

    @property
    def createable_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.createable]

    @property
    def updateable_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.updateable]

    @property
    def id_lookup_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.id_lookup]

    @property
    def external_id_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.external_id]

    def picklist_values(self, name: str) -> tuple[str, ...]:
        return self.get_field(name).picklist_values

    def reference_targets(self, name: str) -> tuple[str, ...]:
        return self.get_field(name).reference_to


@dataclass(frozen=True)
class GlobalEntry:
    name: str
    label: str
    key_prefix: str | None
    custom: bool
    createable: bool
    queryable: bool


@dataclass(frozen=True)
class GlobalDescribe:
    """Which objects the org has (`GET sobjects`)."""

    sobjects: tuple[GlobalEntry, ...]
    max_batch_size: int | None = None
    encoding: str | None = None

    @classmethod
    def from_describe(cls, d: dict[str, Any]) -> GlobalDescribe:
        entries = tuple(
            GlobalEntry(
                name=str(o["name"]),
                label=str(o.get("label") or o["name"]),
                key_prefix=o.get("keyPrefix"),
                custom=bool(o.get("custom")),
                createable=bool(o.get("createable")),
                queryable=bool(o.get("queryable")),
            )
            for o in d.get("sobjects") or []
        )
        return cls(entries, d.get("maxBatchSize"), d.get("encoding"))

    @property
    def names(self) -> list[str]:
        return [o.name for o in self.sobjects]

    def get(self, name: str) -> GlobalEntry | None:
        wanted = name.lower()
        return next((o for o in self.sobjects if o.name.lower() == wanted), None)

    def by_prefix(self, key_prefix: str) -> GlobalEntry | None:
        return next((o for o in self.sobjects if o.key_prefix == key_prefix[:3]), None)
