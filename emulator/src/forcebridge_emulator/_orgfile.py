"""Reading an org file (YAML or JSON) into an `OrgConfig`, and the built-in demo org.

An org file declares what an admin would set up in a real org: users, connected apps,
custom objects and fields, Apex REST endpoints and the daily API allocation. Mistakes are
reported with the path of the offending key (`objects[1].fields[0].type`) so a typo never
silently turns into a missing field.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, TypeVar

import yaml

from forcebridge_emulator import _ids as ids
from forcebridge_emulator._config import (
    ApexEndpointConfig,
    ConnectedAppConfig,
    FieldConfig,
    ObjectConfig,
    OrgConfig,
    UserConfig,
)

FIELD_TYPES = frozenset({
    "string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "boolean",
    "int", "double", "currency", "percent", "date", "datetime", "reference", "masterdetail",
})  # fmt: skip

T = TypeVar("T")


class OrgFileError(ValueError):
    """An org file that cannot be used; the message names the file and the bad key."""


def load(path: str | Path) -> OrgConfig:
    """Read `path` (.yaml/.yml or .json) into an OrgConfig."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise OrgFileError(f"cannot read org file {p}: {exc.strerror}") from exc
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise OrgFileError(
            f"org file {p} is not valid {p.suffix.lstrip('.') or 'YAML'}: {exc}"
        ) from exc
    return parse(data, source=str(p))


def parse(data: Any, *, source: str = "org file") -> OrgConfig:
    """Validate a decoded org file and build the OrgConfig."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise OrgFileError(f"{source}: the top level must be a mapping")
    nested = {
        "users": UserConfig,
        "connected_apps": ConnectedAppConfig,
        "objects": ObjectConfig,
        "apex_endpoints": ApexEndpointConfig,
    }
    plain = {k: v for k, v in data.items() if k not in nested}
    if "id" in plain:  # `id` is the Organization record's own name for it
        if "org_id" in plain:
            raise OrgFileError(f"{source}: give 'org_id' or 'id', not both")
        plain["org_id"] = plain.pop("id")
    config = _build(OrgConfig, plain, source, "")
    if config.org_id:
        config.org_id = _org_id(config.org_id, source)
    for key, cls in nested.items():
        items = data.get(key)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise OrgFileError(f"{source}: '{key}' must be a list")
        built: list[Any] = [_item(cls, item, source, f"{key}[{i}]") for i, item in enumerate(items)]
        setattr(config, key, built)
    _check(config, source)
    return config


def _item(cls: type[T], item: Any, source: str, where: str) -> T:
    if not isinstance(item, dict):
        raise OrgFileError(f"{source}: '{where}' must be a mapping")
    if cls is ObjectConfig:
        fields = item.get("fields")
        if fields is None:
            fields = []
        if not isinstance(fields, list):
            raise OrgFileError(f"{source}: '{where}.fields' must be a list")
        obj = _build(ObjectConfig, {k: v for k, v in item.items() if k != "fields"}, source, where)
        obj.fields = [
            _item(FieldConfig, f, source, f"{where}.fields[{i}]") for i, f in enumerate(fields)
        ]
        return obj  # type: ignore[return-value]
    return _build(cls, item, source, where)


def _build(cls: type[T], values: dict[str, Any], source: str, where: str) -> T:
    """Instantiate a config dataclass, naming unknown and missing keys precisely."""
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    prefix = f"{where}." if where else ""
    for key in values:
        if key not in known:
            raise OrgFileError(f"{source}: unknown key '{prefix}{key}'")
    for name, f in known.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and name not in values:
            raise OrgFileError(f"{source}: missing key '{prefix}{name}'")
    for key, value in values.items():
        expected = _TYPES.get(str(known[key].type))
        if expected is not None and not expected[0](value):
            raise OrgFileError(f"{source}: '{prefix}{key}' must be {expected[1]}, got {value!r}")
    return cls(**values)


def _list_of_str(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


# Annotation (as written in config.py) -> (check, description for the error).
_TYPES: dict[str, tuple[Any, str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "str | None": (lambda v: v is None or isinstance(v, str), "a string"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "int | None": (
        lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
        "an integer",
    ),
    "list[str]": (_list_of_str, "a list of strings"),
}


def _org_id(value: str, source: str) -> str:
    """A real org id: key prefix 00D, 15 or 18 characters (an 18-character one with its
    checksum); answered in its 18-character form."""
    normal = ids.normalize(value)
    if normal is None or not normal.startswith("00D"):
        raise OrgFileError(
            f"{source}: 'org_id' must be an organization id (00D followed by 12 letters or "
            f"digits, optionally the 3-character checksum), got {value!r}"
        )
    return normal


def _check(config: OrgConfig, source: str) -> None:
    """Semantic checks the dataclasses cannot express."""
    if not isinstance(config.daily_api_requests, int) or config.daily_api_requests < 1:
        raise OrgFileError(f"{source}: 'daily_api_requests' must be a positive integer")
    seen: set[str] = set()
    for i, u in enumerate(config.users):
        if u.username.lower() in seen:
            raise OrgFileError(f"{source}: 'users[{i}].username' is a duplicate: {u.username}")
        seen.add(u.username.lower())
    for i, o in enumerate(config.objects):
        where = f"objects[{i}]"
        if not isinstance(o.name, str) or not o.name:
            raise OrgFileError(f"{source}: '{where}.name' must be a non-empty string")
        custom_obj = o.name.endswith(("__c", "__e"))
        names: set[str] = set()
        for j, fc in enumerate(o.fields):
            fw = f"{where}.fields[{j}]"
            if not isinstance(fc.name, str) or not fc.name.endswith("__c"):
                raise OrgFileError(
                    f"{source}: '{fw}.name' must be a custom field name ending in __c"
                )
            if fc.name.lower() in names:
                raise OrgFileError(f"{source}: '{fw}.name' is a duplicate: {fc.name}")
            names.add(fc.name.lower())
            if fc.type not in FIELD_TYPES:
                raise OrgFileError(
                    f"{source}: '{fw}.type' is {fc.type!r}; expected one of "
                    f"{', '.join(sorted(FIELD_TYPES))}"
                )
            if fc.type in ("reference", "masterdetail") and not fc.reference_to:
                raise OrgFileError(f"{source}: '{fw}.reference_to' is required for a reference")
            if fc.type in ("picklist", "multipicklist") and not fc.picklist_values:
                raise OrgFileError(f"{source}: '{fw}.picklist_values' is required for a picklist")
            if not isinstance(fc.picklist_values, list) or not isinstance(fc.reference_to, list):
                raise OrgFileError(f"{source}: '{fw}' picklist_values/reference_to must be lists")
        if not custom_obj and not o.fields:
            raise OrgFileError(
                f"{source}: '{where}.name' {o.name!r} is not a custom object (__c/__e) "
                "and declares no fields"
            )
    for i, a in enumerate(config.apex_endpoints):
        if not a.path.startswith("/"):
            raise OrgFileError(f"{source}: 'apex_endpoints[{i}].path' must start with '/'")


def demo_config() -> OrgConfig:
    """The demo org: one user, one connected app, the custom schema forcebridge syncs into.

    The credentials are published demo values for a local emulator, not secrets.
    """
    return OrgConfig(
        name="forcebridge demo org",
        users=[
            UserConfig(
                username="demo@forcebridge.example",
                password="demo-password-1",  # noqa: S106 - published demo credential
                security_token="DEMOSECURITYTOKEN",  # noqa: S106
                email="demo@forcebridge.example",
                first_name="Demo",
                last_name="User",
            )
        ],
        connected_apps=[
            ConnectedAppConfig(
                name="forcebridge demo",
                consumer_key="forcebridge-demo-consumer-key",
                consumer_secret="forcebridge-demo-consumer-secret",  # noqa: S106
                callback_urls=[
                    "http://localhost:8000/api/v1/oauth/callback",
                    "http://127.0.0.1:8000/api/v1/oauth/callback",
                ],
                client_credentials_user="demo@forcebridge.example",
            )
        ],
        objects=[
            ObjectConfig("Account", fields=[
                FieldConfig("External_Id__c", "string", label="External Id", length=255,
                            unique=True, external_id=True),
                FieldConfig("acme__Account_Id__c", "string", label="Acme Account Id",
                            length=80, unique=True, external_id=True),
                # the billing demo's custom fields on Account (managed package `acme`)
                FieldConfig("acme__Billing_Currency__c", "string", label="Billing Currency",
                            length=3),
                FieldConfig("acme__Credit_Limit__c", "currency", label="Credit Limit",
                            precision=16, scale=2),
                FieldConfig("acme__Customer_Since__c", "date", label="Customer Since"),
            ]),
            ObjectConfig("Contact", fields=[
                FieldConfig("External_Id__c", "string", label="External Id", length=255,
                            unique=True, external_id=True),
            ]),
            ObjectConfig("acme__Balance__c", label="Balance", fields=[
                FieldConfig("acme__Account__c", "reference", label="Account",
                            reference_to=["Account"], relationship_name="acme__Account__r"),
                FieldConfig("acme__Amount__c", "currency", label="Amount", precision=16,
                            scale=2),
                FieldConfig("acme__External_Id__c", "string", label="External Id", length=80,
                            unique=True, external_id=True),
                FieldConfig("acme__As_Of__c", "date", label="As Of"),
                FieldConfig("acme__Currency__c", "string", label="Currency", length=3),
                FieldConfig("acme__Updated_At__c", "datetime", label="Updated At"),
            ]),
            ObjectConfig("Invoice__c", label="Invoice", fields=[
                FieldConfig("Account__c", "reference", label="Account",
                            reference_to=["Account"], relationship_name="Account__r"),
                FieldConfig("Invoice_Number__c", "string", label="Invoice Number", length=40,
                            unique=True, external_id=True),
                FieldConfig("Amount__c", "currency", label="Amount", precision=16, scale=2),
                FieldConfig("Status__c", "picklist", label="Status",
                            picklist_values=["Draft", "Sent", "Paid", "Void"],
                            restricted_picklist=True),
                FieldConfig("Issued_On__c", "date", label="Issued On"),
                FieldConfig("Paid__c", "boolean", label="Paid"),
            ]),
            ObjectConfig("Acme_Event__e", label="Acme Event", fields=[
                FieldConfig("Kind__c", "string", label="Kind", length=80, required=True),
                FieldConfig("Payload__c", "textarea", label="Payload", length=131072),
            ]),
            # the billing demo (`forcebridge demo`): contracts and prepayments/commitments of
            # the managed package, each under its Account by external id
            ObjectConfig("acme__Contract__c", label="Contract", fields=[
                FieldConfig("acme__External_Id__c", "string", label="External Id", length=80,
                            unique=True, external_id=True),
                FieldConfig("acme__Account__c", "reference", label="Account",
                            reference_to=["Account"], relationship_name="acme__Account__r"),
                FieldConfig("acme__Code__c", "string", label="Code", length=40),
                FieldConfig("acme__Start_Date__c", "date", label="Start Date"),
                FieldConfig("acme__End_Date__c", "date", label="End Date"),
                FieldConfig("acme__Billing_Frequency__c", "picklist", label="Billing Frequency",
                            picklist_values=["Monthly", "Quarterly", "Annually"],
                            restricted_picklist=True),
            ]),
            ObjectConfig("acme__Commitment__c", label="Commitment", fields=[
                FieldConfig("acme__External_Id__c", "string", label="External Id", length=80,
                            unique=True, external_id=True),
                FieldConfig("acme__Account__c", "reference", label="Account",
                            reference_to=["Account"], relationship_name="acme__Account__r"),
                FieldConfig("acme__Contract__c", "reference", label="Contract",
                            reference_to=["acme__Contract__c"],
                            relationship_name="acme__Contract__r"),
                FieldConfig("acme__Type__c", "picklist", label="Type",
                            picklist_values=["Prepayment", "Commitment"],
                            restricted_picklist=True),
                FieldConfig("acme__Amount__c", "currency", label="Amount", precision=16,
                            scale=2),
                FieldConfig("acme__Start_Date__c", "date", label="Start Date"),
                FieldConfig("acme__End_Date__c", "date", label="End Date"),
            ]),
        ],
        apex_endpoints=[
            ApexEndpointConfig("/acme/events", methods=["POST"], status=200,
                               response={"accepted": True}),
        ],
    )  # fmt: skip
