"""The objects an org has before anyone customises it, plus the org file's custom ones.

Account, Contact, Lead, Case and Opportunity come from describes recorded against real orgs
(compacted into `standard_objects.json`: each field stores only what differs from
`schema.FIELD_DEFAULTS`; org-specific custom fields were dropped). Contract, User and
Organization were not recorded and are declared here after Salesforce's object reference.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from forcebridge_emulator import _ids as ids
from forcebridge_emulator._config import FieldConfig, ObjectConfig
from forcebridge_emulator._schema import FieldDef, Schema, SObjectDef, make_field

# Object-level describe attributes of an ordinary standard object (from the Account recording).
_OBJECT_DEFAULTS: dict[str, Any] = {
    "actionOverrides": [],
    "activateable": False,
    "compactLayoutable": True,
    "createable": True,
    "custom": False,
    "customSetting": False,
    "deepCloneable": False,
    "defaultImplementation": None,
    "deletable": True,
    "deprecatedAndHidden": False,
    "extendedBy": None,
    "extendsInterfaces": None,
    "feedEnabled": False,
    "hasSubtypes": False,
    "implementedBy": None,
    "implementsInterfaces": None,
    "isInterface": False,
    "isSubtype": False,
    "keyPrefix": None,
    "label": "",
    "labelPlural": "",
    "layoutable": True,
    "listviewable": None,
    "lookupLayoutable": None,
    "mergeable": False,
    "mruEnabled": True,
    "name": "",
    "namedLayoutInfos": [],
    "networkScopeFieldName": None,
    "queryable": True,
    "recordTypeInfos": [],
    "replicateable": True,
    "retrieveable": True,
    "searchLayoutable": True,
    "searchable": True,
    "supportedScopes": [{"label": "All records", "name": "everything"}],
    "triggerable": True,
    "undeletable": True,
    "updateable": True,
}

MASTER_RECORD_TYPE = {
    "active": True,
    "available": True,
    "defaultRecordTypeMapping": True,
    "developerName": "Master",
    "master": True,
    "name": "Master",
    "recordTypeId": "012000000000000AAA",
}

# Text lengths Salesforce gives a custom field of each type when the org file says nothing.
_DEFAULT_LENGTH = {
    "string": 255, "textarea": 255, "email": 80, "phone": 40, "url": 255,
    "picklist": 255, "multipicklist": 4099, "encryptedstring": 175,
}  # fmt: skip


@cache
def _recorded() -> dict[str, Any]:
    text = resources.files("forcebridge_emulator").joinpath("standard_objects.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def _object(name: str, label: str, plural: str, prefix: str, **attrs: Any) -> SObjectDef:
    a = dict(_OBJECT_DEFAULTS)
    a.update(name=name, label=label, labelPlural=plural, keyPrefix=prefix)
    a["recordTypeInfos"] = [dict(MASTER_RECORD_TYPE)]
    a.update(attrs)
    return SObjectDef(name=name, key_prefix=prefix, attrs=a)


def _system(label: str, *, owner: bool = True) -> dict[str, FieldDef]:
    """Id, IsDeleted, audit fields and (optionally) OwnerId, as every object has them."""
    ro = {"createable": False, "updateable": False, "nillable": False, "defaultedOnCreate": True}
    user_ref = {"referenceTo": ["User"], **ro}
    out = {
        "Id": make_field("Id", "id", label=f"{label} ID", idLookup=True, permissionable=False, **ro),
        "IsDeleted": make_field("IsDeleted", "boolean", label="Deleted", permissionable=False,
                                createable=False, updateable=False),
        "CreatedDate": make_field("CreatedDate", "datetime", label="Created Date",
                                  permissionable=False, **ro),
        "CreatedById": make_field("CreatedById", "reference", label="Created By ID",
                                  relationshipName="CreatedBy", permissionable=False, **user_ref),
        "LastModifiedDate": make_field("LastModifiedDate", "datetime", label="Last Modified Date",
                                       permissionable=False, **ro),
        "LastModifiedById": make_field("LastModifiedById", "reference",
                                       label="Last Modified By ID", relationshipName="LastModifiedBy",
                                       permissionable=False, **user_ref),
        "SystemModstamp": make_field("SystemModstamp", "datetime", label="System Modstamp",
                                     permissionable=False, **ro),
    }  # fmt: skip
    if owner:
        out["OwnerId"] = make_field(
            "OwnerId", "reference", label="Owner ID", referenceTo=["User"],
            relationshipName="Owner", nillable=False, defaultedOnCreate=True, permissionable=False,
        )  # fmt: skip
    return out


def _address(prefix: str, label: str) -> list[FieldDef]:
    compound = f"{prefix}Address"
    parts = [
        make_field(f"{prefix}Street", "textarea", label=f"{label} Street", length=255,
                   compoundFieldName=compound, extraTypeInfo="plaintextarea"),
        make_field(f"{prefix}City", "string", label=f"{label} City", length=40,
                   compoundFieldName=compound),
        make_field(f"{prefix}State", "string", label=f"{label} State/Province", length=80,
                   compoundFieldName=compound),
        make_field(f"{prefix}PostalCode", "string", label=f"{label} Zip/Postal Code", length=20,
                   compoundFieldName=compound),
        make_field(f"{prefix}Country", "string", label=f"{label} Country", length=80,
                   compoundFieldName=compound),
        make_field(f"{prefix}Latitude", "double", label=f"{label} Latitude", precision=18,
                   scale=15, compoundFieldName=compound),
        make_field(f"{prefix}Longitude", "double", label=f"{label} Longitude", precision=18,
                   scale=15, compoundFieldName=compound),
        make_field(f"{prefix}GeocodeAccuracy", "picklist", label=f"{label} Geocode Accuracy",
                   length=40, restrictedPicklist=True, compoundFieldName=compound,
                   picklistValues=_picklist("Address", "NearAddress", "Block", "Street",
                                            "ExtendedZip", "Zip", "Neighborhood", "City",
                                            "County", "State", "Unknown")),
        make_field(f"{prefix}Address", "address", label=f"{label} Address", createable=False,
                   updateable=False, queryByDistance=True),
    ]  # fmt: skip
    return parts


def _add(obj: SObjectDef, fields: list[FieldDef]) -> SObjectDef:
    for f in fields:
        obj.add_field(f)
    return obj


def _picklist(*values: str, default: str | None = None) -> list[dict[str, Any]]:
    return [
        {"active": True, "defaultValue": v == default, "label": v, "validFor": None, "value": v}
        for v in values
    ]


def _contract() -> SObjectDef:
    s = _system("Contract")
    obj = _object("Contract", "Contract", "Contracts", "800", feedEnabled=True)
    ro = {"createable": False, "updateable": False}
    return _add(obj, [
        s["Id"], s["IsDeleted"],
        make_field("AccountId", "reference", label="Account ID", referenceTo=["Account"],
                   relationshipName="Account", nillable=False),
        make_field("StartDate", "date", label="Contract Start Date"),
        make_field("EndDate", "date", label="Contract End Date", **ro),
        *_address("Billing", "Billing"),
        make_field("ContractTerm", "int", label="Contract Term", digits=4),
        s["OwnerId"],
        make_field("Status", "picklist", label="Status", length=40, nillable=False,
                   defaultedOnCreate=True,
                   picklistValues=_picklist("Draft", "In Approval Process", "Activated",
                                            default="Draft")),
        make_field("CustomerSignedId", "reference", label="Customer Signed By ID",
                   referenceTo=["Contact"], relationshipName="CustomerSigned"),
        make_field("CustomerSignedTitle", "string", label="Customer Signed Title", length=40),
        make_field("CustomerSignedDate", "date", label="Customer Signed Date"),
        make_field("SpecialTerms", "textarea", label="Special Terms", length=4000),
        make_field("ActivatedDate", "datetime", label="Activated Date", **ro),
        make_field("StatusCode", "picklist", label="Status Category", length=40,
                   nillable=False, defaultedOnCreate=True, restrictedPicklist=True,
                   picklistValues=_picklist("Draft", "InApproval", "Activated", "Terminated",
                                            "Expired", default="Draft"), **ro),
        make_field("Description", "textarea", label="Description", length=32000),
        make_field("Name", "string", label="Contract Name", length=80),
        make_field("ContractNumber", "string", label="Contract Number", length=30,
                   autoNumber=True, idLookup=True, nillable=False, defaultedOnCreate=True,
                   nameField=True, **ro),
        s["CreatedDate"], s["CreatedById"], s["LastModifiedDate"], s["LastModifiedById"],
        s["SystemModstamp"],
    ])  # fmt: skip


def _user() -> SObjectDef:
    s = _system("User", owner=False)
    obj = _object("User", "User", "Users", "005", deletable=False, createable=False,
                  updateable=False, undeletable=False, mergeable=False)  # fmt: skip
    ro = {"createable": False, "updateable": False}
    return _add(obj, [
        s["Id"],
        make_field("Username", "string", label="Username", length=80, nillable=False,
                   unique=True, idLookup=True, **ro),
        make_field("LastName", "string", label="Last Name", length=80, nillable=False, **ro),
        make_field("FirstName", "string", label="First Name", length=40, **ro),
        make_field("Name", "string", label="Full Name", length=121, nameField=True,
                   nillable=False, defaultedOnCreate=True, idLookup=True, **ro),
        make_field("CompanyName", "string", label="Company Name", length=80, **ro),
        make_field("Email", "email", label="Email", length=128, nillable=False, idLookup=True,
                   **ro),
        make_field("Alias", "string", label="Alias", length=8, nillable=False, **ro),
        make_field("IsActive", "boolean", label="Active", **ro),
        make_field("TimeZoneSidKey", "picklist", label="Time Zone", length=40,
                   picklistValues=_picklist("America/Los_Angeles", "Europe/London", "GMT"), **ro),
        make_field("LocaleSidKey", "picklist", label="Locale", length=40,
                   picklistValues=_picklist("en_US", "en_GB"), **ro),
        make_field("LanguageLocaleKey", "picklist", label="Language", length=40,
                   picklistValues=_picklist("en_US"), **ro),
        make_field("UserType", "picklist", label="User Type", length=40,
                   picklistValues=_picklist("Standard"), **ro),
        s["CreatedDate"], s["CreatedById"], s["LastModifiedDate"], s["LastModifiedById"],
        s["SystemModstamp"],
    ])  # fmt: skip


def _organization() -> SObjectDef:
    s = _system("Organization", owner=False)
    obj = _object(
        "Organization",
        "Organization",
        "Organizations",
        "00D",
        createable=False,
        updateable=False,
        deletable=False,
        undeletable=False,
        searchable=False,
    )
    ro = {"createable": False, "updateable": False}
    return _add(obj, [
        s["Id"],
        make_field("Name", "string", label="Name", length=80, nameField=True, **ro),
        make_field("Country", "string", label="Country", length=80, **ro),
        make_field("OrganizationType", "picklist", label="Edition", length=40,
                   picklistValues=_picklist("Developer Edition"), **ro),
        make_field("InstanceName", "string", label="Instance Name", length=5, **ro),
        make_field("IsSandbox", "boolean", label="Is Sandbox", **ro),
        make_field("NamespacePrefix", "string", label="Namespace Prefix", length=15, **ro),
        make_field("TimeZoneSidKey", "string", label="Default Time Zone", length=40, **ro),
        make_field("LanguageLocaleKey", "string", label="Language", length=40, **ro),
        make_field("DefaultLocaleSidKey", "string", label="Locale", length=40, **ro),
        s["CreatedDate"], s["CreatedById"], s["LastModifiedDate"], s["LastModifiedById"],
        s["SystemModstamp"],
    ])  # fmt: skip


def recorded_object(name: str) -> SObjectDef:
    spec = _recorded()[name]
    attrs = dict(spec["attrs"])
    obj = SObjectDef(name=name, key_prefix=attrs["keyPrefix"], attrs=attrs)
    obj.attrs["urlKeys"] = list(spec["urlKeys"])
    obj.child_relationships = [dict(r) for r in spec["childRelationships"]]
    for f in spec["fields"]:
        obj.add_field(FieldDef.from_describe(f))
    return obj


def custom_field(fc: FieldConfig) -> FieldDef:
    """A FieldDef for an org file's custom field, with the attributes a real org reports."""
    t = fc.type.lower()
    if t == "text":
        t = "string"
    if t == "number":
        t = "double"
    attrs: dict[str, Any] = {"custom": True, "label": fc.label or _label_of(fc.name)}
    if t == "masterdetail":
        # A master-detail field: a required reference that cannot be reparented, whose
        # records are deleted with their master (describe: nillable/updateable false, cascadeDelete).
        t = "reference"
        attrs.update(nillable=False, updateable=False, cascadeDelete=True)
    if t in _DEFAULT_LENGTH:
        attrs["length"] = fc.length or _DEFAULT_LENGTH[t]
    if t == "textarea":
        attrs["extraTypeInfo"] = "plaintextarea"
    if t in ("double", "currency", "percent"):
        attrs["precision"] = fc.precision or 18
        attrs["scale"] = 2 if fc.scale is None else fc.scale
    if t == "int":
        attrs["digits"] = fc.precision or 18
    if t in ("picklist", "multipicklist"):
        attrs["picklistValues"] = _picklist(*fc.picklist_values)
        attrs["restrictedPicklist"] = fc.restricted_picklist
    if t == "reference":
        attrs["referenceTo"] = list(fc.reference_to)
        attrs["relationshipName"] = fc.relationship_name or _rel_name(fc.name)
    if fc.required and t != "boolean":
        attrs["nillable"] = False
    if fc.unique or fc.external_id:
        attrs["unique"] = fc.unique
        attrs["externalId"] = fc.external_id
        attrs["idLookup"] = True
        attrs["caseSensitive"] = fc.case_sensitive
    if t == "boolean":
        attrs["defaultValue"] = bool(fc.default_value)
    elif fc.default_value is not None:
        attrs["defaultValue"] = fc.default_value
        attrs["defaultedOnCreate"] = True
    return make_field(fc.name, t, **attrs)


def custom_object(oc: ObjectConfig, taken_prefixes: set[str]) -> SObjectDef:
    """A custom object (`__c`) with the system fields every one has, or a platform event."""
    label = oc.label or _label_of(oc.name)
    if oc.name.endswith("__e"):
        prefix = ids.custom_prefix(oc.name, taken_prefixes, first="e")
        obj = _object(
            oc.name, label, label, prefix, custom=True, updateable=False, deletable=False,
            queryable=False, searchable=False, undeletable=False, mruEnabled=False,
            layoutable=False, compactLayoutable=False, searchLayoutable=False,
            replicateable=False, retrieveable=False, recordTypeInfos=[],
            supportedScopes=[],
        )  # fmt: skip
        s = _system(label, owner=False)
        _add(obj, [
            make_field("ReplayId", "string", label="Replay ID", length=255,
                       createable=False, updateable=False),
            s["CreatedDate"], s["CreatedById"],
            make_field("EventUuid", "string", label="Event UUID", length=36,
                       createable=False, updateable=False),
        ])  # fmt: skip
    else:
        prefix = ids.custom_prefix(oc.name, taken_prefixes)
        obj = _object(oc.name, label, label + "s", prefix, custom=True, feedEnabled=False,
                      mruEnabled=False, mergeable=False, compactLayoutable=False,
                      triggerable=True)  # fmt: skip
        s = _system(label)
        _add(obj, [
            s["Id"], s["OwnerId"], s["IsDeleted"],
            make_field("Name", "string", label=f"{label} Name", length=80, nameField=True,
                       idLookup=True, defaultedOnCreate=True),
            s["CreatedDate"], s["CreatedById"], s["LastModifiedDate"], s["LastModifiedById"],
            s["SystemModstamp"],
        ])  # fmt: skip
    for fc in oc.fields:
        obj.add_field(custom_field(fc))
    return obj


def build_schema(objects: list[ObjectConfig]) -> Schema:
    """The standard objects plus the org file's custom objects and fields."""
    schema = Schema()
    for name in ("Account", "Contact", "Lead", "Case", "Opportunity"):
        schema.add(recorded_object(name))
    for obj in (_contract(), _user(), _organization()):
        schema.add(obj)
    for oc in objects:
        existing = schema.get(oc.name)
        if existing is not None:
            for fc in oc.fields:
                existing.add_field(custom_field(fc))
            continue
        if not (oc.name.endswith("__c") or oc.name.endswith("__e")):
            raise ValueError(f"custom object name must end in __c or __e: {oc.name}")
        schema.add(custom_object(oc, schema.prefixes()))
    schema.link()
    return schema


def _label_of(api_name: str) -> str:
    base = api_name
    for suffix in ("__c", "__e", "__r"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    if "__" in base:
        base = base.split("__", 1)[1]
    return base.replace("_", " ")


def _rel_name(field_name: str) -> str:
    """`acme__Account__c` -> `acme__Account__r`; `Parent_Id__c` -> `Parent_Id__r`."""
    return field_name[: -len("__c")] + "__r" if field_name.endswith("__c") else field_name
