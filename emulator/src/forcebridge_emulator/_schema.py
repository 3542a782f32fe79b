"""The org's data model: objects and fields with the attributes a real describe reports.

Each `FieldDef` keeps its full describe dict (the 57 keys Salesforce sends, so `describe.py`
can render it verbatim) plus typed copies of the attributes the engine consults on every
write. Attribute names are snake_case; the camelCase describe names also resolve
(`field.referenceTo`), so code written against the describe JSON keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# The 57 keys of a field describe, with the values a plain, writable, nillable field has.
FIELD_DEFAULTS: dict[str, Any] = {
    "aggregatable": True,
    "aiPredictionField": False,
    "autoNumber": False,
    "byteLength": 0,
    "calculated": False,
    "calculatedFormula": None,
    "cascadeDelete": False,
    "caseSensitive": False,
    "compoundFieldName": None,
    "controllerName": None,
    "createable": True,
    "custom": False,
    "defaultValue": None,
    "defaultValueFormula": None,
    "defaultedOnCreate": False,
    "dependentPicklist": False,
    "deprecatedAndHidden": False,
    "digits": 0,
    "displayLocationInDecimal": False,
    "encrypted": False,
    "externalId": False,
    "extraTypeInfo": None,
    "filterable": True,
    "filteredLookupInfo": None,
    "formulaTreatNullNumberAsZero": False,
    "groupable": True,
    "highScaleNumber": False,
    "htmlFormatted": False,
    "idLookup": False,
    "inlineHelpText": None,
    "label": "",
    "length": 0,
    "mask": None,
    "maskType": None,
    "name": "",
    "nameField": False,
    "namePointing": False,
    "nillable": True,
    "permissionable": True,
    "picklistValues": [],
    "polymorphicForeignKey": False,
    "precision": 0,
    "queryByDistance": False,
    "referenceTargetField": None,
    "referenceTo": [],
    "relationshipName": None,
    "relationshipOrder": None,
    "restrictedDelete": False,
    "restrictedPicklist": False,
    "scale": 0,
    "searchPrefilterable": False,
    "soapType": "xsd:string",
    "sortable": True,
    "type": "string",
    "unique": False,
    "updateable": True,
    "writeRequiresMasterRead": False,
}

SOAP_TYPES: dict[str, str] = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "address": "urn:address",
    "location": "urn:location",
}

_SNAKE_TO_CAMEL: dict[str, str] = {}


@dataclass(eq=False)
class FieldDef:
    """One field of one object. Build with `FieldDef.from_describe`."""

    describe: dict[str, Any]
    name: str = ""
    label: str = ""
    type: str = "string"
    soap_type: str = "xsd:string"
    length: int = 0
    byte_length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    defaulted_on_create: bool = False
    default_value: Any = None
    external_id: bool = False
    id_lookup: bool = False
    unique: bool = False
    case_sensitive: bool = False
    picklist_values: list[dict[str, Any]] = field(default_factory=list)
    restricted_picklist: bool = False
    reference_to: list[str] = field(default_factory=list)
    relationship_name: str | None = None
    calculated: bool = False
    auto_number: bool = False
    custom: bool = False
    name_field: bool = False
    compound_field_name: str | None = None
    filterable: bool = True
    sortable: bool = True
    groupable: bool = True
    aggregatable: bool = True
    # Derived, for the write path.
    active_picklist: frozenset[str] = frozenset()
    default_picklist: str | None = None

    @classmethod
    def from_describe(cls, d: dict[str, Any]) -> FieldDef:
        full = dict(FIELD_DEFAULTS)
        full.update(d)
        values = full["picklistValues"] or []
        default_pick = next((v["value"] for v in values if v.get("defaultValue")), None)
        return cls(
            describe=full,
            name=full["name"],
            label=full["label"],
            type=full["type"],
            soap_type=full["soapType"],
            length=full["length"],
            byte_length=full["byteLength"],
            precision=full["precision"],
            scale=full["scale"],
            digits=full["digits"],
            createable=full["createable"],
            updateable=full["updateable"],
            nillable=full["nillable"],
            defaulted_on_create=full["defaultedOnCreate"],
            default_value=full["defaultValue"],
            external_id=full["externalId"],
            id_lookup=full["idLookup"],
            unique=full["unique"],
            case_sensitive=full["caseSensitive"],
            picklist_values=values,
            restricted_picklist=full["restrictedPicklist"],
            reference_to=list(full["referenceTo"] or []),
            relationship_name=full["relationshipName"],
            calculated=full["calculated"],
            auto_number=full["autoNumber"],
            custom=full["custom"],
            name_field=full["nameField"],
            compound_field_name=full["compoundFieldName"],
            filterable=full["filterable"],
            sortable=full["sortable"],
            groupable=full["groupable"],
            aggregatable=full["aggregatable"],
            active_picklist=frozenset(v["value"] for v in values if v.get("active", True)),
            default_picklist=default_pick,
        )

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes: let describe keys answer.
        d = self.__dict__.get("describe")
        if d is not None and name in d:
            return d[name]
        raise AttributeError(name)

    @property
    def required_on_create(self) -> bool:
        """Salesforce's own rule: createable, not nillable, and not defaulted on create."""
        return self.createable and not self.nillable and not self.defaulted_on_create

    @property
    def is_key_field(self) -> bool:
        """Usable as the key of an upsert (external id, idLookup, or Id itself)."""
        return self.external_id or self.id_lookup or self.type == "id"


def make_field(name: str, type_: str, **attrs: Any) -> FieldDef:
    """A field from a type and describe overrides, with the byteLength/soapType a real org
    would derive (byteLength is 3 x length for text types)."""
    d: dict[str, Any] = {"name": name, "type": type_, "label": attrs.pop("label", None) or name}
    d["soapType"] = SOAP_TYPES.get(type_, "xsd:string")
    if type_ in ("id", "reference"):
        d["length"] = 18
        d["byteLength"] = 18
    elif "length" in attrs:
        d["byteLength"] = int(attrs["length"]) * 3
    if type_ in ("textarea", "multipicklist", "address"):
        d.update(filterable=type_ != "textarea", sortable=False, groupable=False)
    if type_ in ("double", "currency", "percent", "datetime", "date", "address"):
        d["groupable"] = type_ == "date"
    if type_ == "boolean":
        d.update(defaultedOnCreate=True, nillable=False, defaultValue=False, aggregatable=False)
    d.update(attrs)
    return FieldDef.from_describe(d)


@dataclass(eq=False)
class SObjectDef:
    """One object: its fields in describe order and its object-level describe attributes."""

    name: str
    key_prefix: str
    attrs: dict[str, Any]  # object-level describe keys except fields/urls/childRelationships
    fields: dict[str, FieldDef] = field(default_factory=dict)
    child_relationships: list[dict[str, Any]] = field(default_factory=list)
    _lower: dict[str, FieldDef] = field(default_factory=dict, repr=False)
    _rels: dict[str, FieldDef] = field(default_factory=dict, repr=False)

    def add_field(self, f: FieldDef) -> None:
        self.fields[f.name] = f
        self._lower[f.name.lower()] = f
        if f.relationship_name:
            self._rels[f.relationship_name.lower()] = f

    def field(self, name: str) -> FieldDef | None:
        """Case-insensitive field lookup, like the API's."""
        f = self.fields.get(name)
        return f if f is not None else self._lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationshipName is `name` (`Account`, `Owner`)."""
        return self._rels.get(name.lower())

    @property
    def label(self) -> str:
        return str(self.attrs.get("label", self.name))

    @property
    def custom(self) -> bool:
        return bool(self.attrs.get("custom", False))

    @property
    def is_platform_event(self) -> bool:
        return self.name.endswith("__e")

    @property
    def createable(self) -> bool:
        return bool(self.attrs.get("createable", True))

    @property
    def updateable(self) -> bool:
        return bool(self.attrs.get("updateable", True))

    @property
    def deletable(self) -> bool:
        return bool(self.attrs.get("deletable", True))

    @property
    def queryable(self) -> bool:
        return bool(self.attrs.get("queryable", True))

    @property
    def required_fields(self) -> list[str]:
        """Fields a create must supply, computed from describe as Salesforce documents."""
        return [f.name for f in self.fields.values() if f.required_on_create]

    def name_field(self) -> FieldDef | None:
        return next((f for f in self.fields.values() if f.name_field), None)


class Schema:
    """Every object of the org, by API name (case-insensitive) and by key prefix."""

    def __init__(self) -> None:
        self.objects: dict[str, SObjectDef] = {}
        self._lower: dict[str, SObjectDef] = {}
        self._prefix: dict[str, SObjectDef] = {}

    def add(self, obj: SObjectDef) -> None:
        self.objects[obj.name] = obj
        self._lower[obj.name.lower()] = obj
        self._prefix[obj.key_prefix] = obj

    def get(self, name: str) -> SObjectDef | None:
        obj = self.objects.get(name)
        return obj if obj is not None else self._lower.get(name.lower())

    def by_prefix(self, prefix: str) -> SObjectDef | None:
        return self._prefix.get(prefix)

    def __iter__(self) -> Iterator[SObjectDef]:
        return iter(self.objects.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def prefixes(self) -> set[str]:
        return set(self._prefix)

    def link(self) -> None:
        """Add a childRelationships entry on each parent for every custom lookup to it."""
        for child in self.objects.values():
            for f in child.fields.values():
                if f.type != "reference" or not f.custom:
                    continue
                for parent_name in f.reference_to:
                    parent = self.get(parent_name)
                    if parent is None:
                        continue
                    rel = child_relationship(child.name, f.name, _child_rel_name(child.name))
                    # A master-detail child goes with its master, as in real orgs.
                    rel["cascadeDelete"] = bool(f.describe.get("cascadeDelete"))
                    parent.child_relationships.append(rel)


def child_relationship(child: str, field_name: str, rel: str | None) -> dict[str, Any]:
    return {
        "cascadeDelete": False,
        "childSObject": child,
        "deprecatedAndHidden": False,
        "field": field_name,
        "junctionIdListNames": [],
        "junctionReferenceTo": [],
        "relationshipName": rel,
        "restrictedDelete": False,
    }


def _child_rel_name(child: str) -> str:
    """`acme__Balance__c` -> `acme__Balances__r`, the plural-label default Salesforce uses."""
    base = child[: -len("__c")] if child.endswith("__c") else child
    return base + "s__r"
