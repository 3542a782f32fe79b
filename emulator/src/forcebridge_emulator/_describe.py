"""Describe responses with exactly the keys real orgs send.

`describe_sobject` answers GET /sobjects/{O}/describe, `describe_global` GET /sobjects,
`sobject_info` the object part of GET /sobjects/{O}. Key sets follow the recorded describes:
per field the 57 keys of `schema.FIELD_DEFAULTS`; per object the keys of the v48 Account
recording, plus `associateEntityType`, `associateParentEntity` and `sobjectDescribeOption`
from v52 on (present in the newer recordings, absent from the older ones).
"""

from __future__ import annotations

from typing import Any

from forcebridge_emulator._schema import Schema, SObjectDef

_NEWER_KEYS_FROM = 52.0
_DEFAULT_URL_KEYS = [
    "compactLayouts", "rowTemplate", "approvalLayouts", "uiDetailTemplate", "uiEditTemplate",
    "defaultValues", "listviews", "describe", "uiNewRecord", "quickActions", "layouts", "sobject",
]  # fmt: skip
_EVENT_URL_KEYS = ["eventSchema", "rowTemplate", "describe", "sobject"]
_USER_URL_KEYS = [
    "compactLayouts", "rowTemplate", "passwordUtilities", "describe", "quickActions",
    "layouts", "namedLayouts", "sobject",
]  # fmt: skip
# Keys of an entry of describe global (v52 recording).
_GLOBAL_KEYS = (
    "activateable", "associateEntityType", "associateParentEntity", "createable", "custom",
    "customSetting", "deepCloneable", "deletable", "deprecatedAndHidden", "feedEnabled",
    "hasSubtypes", "isInterface", "isSubtype", "keyPrefix", "label", "labelPlural",
    "layoutable", "mergeable", "mruEnabled", "name", "queryable", "replicateable",
    "retrieveable", "searchable", "triggerable", "undeletable", "updateable",
)  # fmt: skip
# Object-level describe keys, in the order the recordings list them (sorted).
_OBJECT_KEYS = (
    "actionOverrides", "activateable", "compactLayoutable", "createable", "custom",
    "customSetting", "deepCloneable", "defaultImplementation", "deletable",
    "deprecatedAndHidden", "extendedBy", "extendsInterfaces", "feedEnabled", "hasSubtypes",
    "implementedBy", "implementsInterfaces", "isInterface", "isSubtype", "keyPrefix", "label",
    "labelPlural", "layoutable", "listviewable", "lookupLayoutable", "mergeable", "mruEnabled",
    "name", "namedLayoutInfos", "networkScopeFieldName", "queryable", "replicateable",
    "retrieveable", "searchLayoutable", "searchable", "triggerable", "undeletable", "updateable",
)  # fmt: skip


def _version(version: str | float) -> str:
    v = str(version).lstrip("v")
    return v if "." in v else f"{v}.0"


def url_keys(obj: SObjectDef) -> list[str]:
    keys = obj.attrs.get("urlKeys")
    if keys:
        return list(keys)
    if obj.is_platform_event:
        return list(_EVENT_URL_KEYS)
    if obj.name == "User":
        return list(_USER_URL_KEYS)
    if obj.name == "Organization":
        return ["rowTemplate", "describe", "sobject"]
    return list(_DEFAULT_URL_KEYS)


def urls(
    obj: SObjectDef, version: str | float, base_url: str = "", *, full: bool = True
) -> dict[str, str]:
    """The `urls` map; `full=False` gives describe global's (no UI templates)."""
    api = f"/services/data/v{_version(version)}/sobjects/{obj.name}"
    values = {
        "compactLayouts": f"{api}/describe/compactLayouts",
        "rowTemplate": f"{api}/{{ID}}",
        "approvalLayouts": f"{api}/describe/approvalLayouts",
        "uiDetailTemplate": f"{base_url}/{{ID}}",
        "uiEditTemplate": f"{base_url}/{{ID}}/e",
        "defaultValues": f"{api}/defaultValues?recordTypeId&fields",
        "listviews": f"{api}/listviews",
        "describe": f"{api}/describe",
        "uiNewRecord": f"{base_url}/{obj.key_prefix}/e",
        "quickActions": f"{api}/quickActions",
        "layouts": f"{api}/describe/layouts",
        "sobject": api,
        "caseArticleSuggestions": f"{api}/suggestedArticles",
        "caseRowArticleSuggestions": f"{api}/{{ID}}/suggestedArticles",
        "eventSchema": f"{api}/eventSchema",
        "namedLayouts": f"{api}/describe/namedLayouts",
        "passwordUtilities": f"{api}/{{ID}}/password",
    }
    keys = url_keys(obj)
    if not full:
        keys = [k for k in keys if not k.startswith("ui") and k != "defaultValues"]
    return {k: values[k] for k in keys}


def _newer(version: str | float) -> bool:
    try:
        return float(_version(version)) >= _NEWER_KEYS_FROM
    except ValueError:
        return True


def describe_sobject(
    obj: SObjectDef, version: str | float = "62.0", base_url: str = ""
) -> dict[str, Any]:
    """GET /services/data/vNN.0/sobjects/{obj}/describe."""
    a = obj.attrs
    v = _version(version)
    api = f"/services/data/v{v}/sobjects/{obj.name}"
    out: dict[str, Any] = {}
    for key in _OBJECT_KEYS:
        out[key] = a.get(key)
    out["keyPrefix"] = obj.key_prefix
    out["childRelationships"] = [dict(r) for r in obj.child_relationships]
    out["fields"] = [_field(f.describe) for f in obj.fields.values()]
    out["recordTypeInfos"] = [
        {**r, "urls": {"layout": f"{api}/describe/layouts/{r['recordTypeId']}"}}
        for r in a.get("recordTypeInfos") or []
    ]
    out["supportedScopes"] = list(a.get("supportedScopes") or [])
    out["urls"] = urls(obj, v, base_url)
    if _newer(v):
        out["associateEntityType"] = a.get("associateEntityType")
        out["associateParentEntity"] = a.get("associateParentEntity")
        out["sobjectDescribeOption"] = a.get("sobjectDescribeOption", "FULL")
    return dict(sorted(out.items()))


def _field(d: dict[str, Any]) -> dict[str, Any]:
    out = dict(d)
    out["picklistValues"] = [dict(p) for p in d["picklistValues"]]
    out["referenceTo"] = list(d["referenceTo"])
    return out


def sobject_info(obj: SObjectDef, version: str | float = "62.0") -> dict[str, Any]:
    """One entry of describe global (also the `objectDescribe` of GET /sobjects/{O})."""
    a = obj.attrs
    out = {k: a.get(k) for k in _GLOBAL_KEYS}
    out["keyPrefix"] = obj.key_prefix
    if not _newer(version):
        out.pop("associateEntityType")
        out.pop("associateParentEntity")
    out["urls"] = urls(obj, version, full=False)
    return out


def describe_global(schema: Schema, version: str | float = "62.0") -> dict[str, Any]:
    """GET /services/data/vNN.0/sobjects."""
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [sobject_info(o, version) for o in sorted(schema, key=lambda o: o.name)],
    }
