"""The org a recorded interaction is replayed against, and how it is put in the recorded state.

Why: a recorded request only means something in the org it was sent to: the record it updates
must exist, the query must find records like the ones it found, the upsert must (or must not)
match. `ReplayOrg` builds that state from the recording itself (records seen in the recorded
response, ids named by the request, upsert keys that matched) and remembers which emulator id
stands for which recorded id, so the request can be rewritten before it is sent.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from recorded.recordings import Interaction, endpoint_of, load_interactions

from forcebridge_emulator._config import (
    ConnectedAppConfig,
    FieldConfig,
    ObjectConfig,
    OrgConfig,
    UserConfig,
)
from forcebridge_emulator._org import Org
from forcebridge_emulator._schema import FieldDef, SObjectDef

USERNAME = "replay@example.com"
PASSWORD = "Replay-Passw0rd"
SECURITY_TOKEN = "ReplayToken"
CLIENT_ID = "replay-consumer-key"
CLIENT_SECRET = "replay-consumer-secret"
_ID = re.compile(r"(?<![A-Za-z0-9])([a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?)(?![A-Za-z0-9])")


def _picklist(name: str, *values: str) -> FieldConfig:
    return FieldConfig(name, "picklist", picklist_values=list(values))


def replay_config() -> OrgConfig:
    """The org the recordings were made in, as far as they show it: the custom objects and
    fields they use (from their describes), one user and one connected app."""
    return OrgConfig(
        users=[UserConfig(USERNAME, PASSWORD, SECURITY_TOKEN, email=USERNAME, first_name="Replay")],
        connected_apps=[
            ConnectedAppConfig(
                "replay",
                CLIENT_ID,
                CLIENT_SECRET,
                callback_urls=["https://localhost/callback"],
                client_credentials_user=USERNAME,
            )
        ],
        objects=[
            # restforce-db: CustomObject__c / CustomObjectDetail__c (master-detail) describes.
            ObjectConfig(
                "CustomObject__c",
                fields=[
                    FieldConfig("Example_Field__c", "string", length=255),
                    FieldConfig(
                        "Friend__c",
                        "reference",
                        reference_to=["Contact"],
                        relationship_name="Friend__r",
                    ),
                    FieldConfig("Visible__c", "boolean", default_value=False),
                    FieldConfig("SynchronizationId__c", "string", length=36, external_id=True),
                ],
            ),
            ObjectConfig(
                "CustomObjectDetail__c",
                fields=[
                    FieldConfig(
                        "CustomObject__c",
                        "masterdetail",
                        reference_to=["CustomObject__c"],
                        relationship_name="CustomObject__r",
                    ),
                ],
            ),
            # NetCoreForce account.json / contact.json custom fields.
            ObjectConfig(
                "Account",
                fields=[
                    _picklist("CustomerPriority__c", "High", "Low", "Medium"),
                    _picklist("SLA__c", "Gold", "Silver", "Platinum", "Bronze"),
                    _picklist("Active__c", "Yes", "No"),
                    FieldConfig("NumberofLocations__c", "double", precision=3, scale=0),
                    _picklist("UpsellOpportunity__c", "Maybe", "No", "Yes"),
                    # restforce's upsert fixtures use it as the external id.
                    FieldConfig("SLASerialNumber__c", "string", length=10, external_id=True),
                    FieldConfig("SLAExpirationDate__c", "date"),
                ],
            ),
            ObjectConfig(
                "Contact",
                fields=[
                    _picklist("Level__c", "Secondary", "Tertiary", "Primary"),
                    FieldConfig("Languages__c", "string", length=100),
                ],
            ),
        ],
    )


def _dummy(f: FieldDef) -> Any:
    if f.type == "boolean":
        return False
    if f.type in ("int", "double", "currency", "percent"):
        return 1
    if f.type == "date":
        return "2024-01-02"
    if f.type == "datetime":
        return "2024-01-02T03:04:05.000+0000"
    if f.type in ("picklist", "multipicklist"):
        active = [p["value"] for p in f.picklist_values if p.get("active", True)]
        return active[0] if active else "Replay"
    if f.type == "email":
        return "replay@example.com"
    return "Replay"


def _recorded_prefixes() -> dict[str, str]:
    """Key prefix -> sObject as the recordings show it (`/sobjects/CustomObject__c/a00...`):
    custom objects get other prefixes in the emulator, so a recorded id's prefix is looked up
    here."""
    out: dict[str, str] = {}
    pattern = re.compile(r"/sobjects/(\w+)/([a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?)\b")
    for it in load_interactions():
        if it.evidence != "recorded":
            continue
        for sobject, rid in pattern.findall(it.request.url + " " + it.response.text):
            out.setdefault(rid[:3], sobject)
    return out


RECORDED_PREFIXES = _recorded_prefixes()


class ReplayOrg:
    """An emulator org plus the recorded-id -> emulator-id map of the records seeded in it."""

    def __init__(self) -> None:
        self.org = Org(replay_config())
        self.user_id = self.org.config.users[0].user_id
        self.org_id = self.org.config.org_id
        self.id_map: dict[str, str] = {}

    # -- ids -----------------------------------------------------------------------------
    def map_id(self, recorded: str, emulator: str) -> None:
        self.id_map[recorded] = emulator
        if len(recorded) == 18:
            self.id_map.setdefault(
                recorded[:15], emulator[:15] if len(emulator) == 18 else emulator
            )

    def known_fields(self, sobject: str) -> set[str] | None:
        obj = self.org.schema.get(sobject)
        return set(obj.fields) if obj is not None else None

    # -- seeding -------------------------------------------------------------------------
    def seed(
        self, sobject: str, values: dict[str, Any], recorded_id: str | None = None
    ) -> str | None:
        """Insert a record like the recorded one (fields the emulator cannot take are dropped),
        filling what a create requires. Returns the emulator id, None for objects the API
        cannot create (User, Organization)."""
        if recorded_id and recorded_id in self.id_map:
            return self.id_map[recorded_id]
        obj = self.org.schema.get(sobject)
        if obj is None or not obj.createable:
            return None
        data = self._writable(obj, values)
        for name in obj.required_fields:
            if data.get(name) is None:
                f = obj.field(name)
                assert f is not None
                data[name] = self._parent_for(f) if f.type == "reference" else _dummy(f)
        result = self.org.insert(obj.name, data)
        while not result.success and result.errors:
            bad = {fld for e in result.errors for fld in e.fields} & set(data)
            required = set(obj.required_fields)
            if not bad:
                bad = {k for k in data if k not in required}
            if not bad:
                raise AssertionError(
                    f"cannot seed {sobject}: {[e.to_json() for e in result.errors]}"
                )
            for name in bad:
                f = obj.field(name)
                if name in required and f is not None:
                    data[name] = self._parent_for(f) if f.type == "reference" else _dummy(f)
                else:
                    data.pop(name)
            result = self.org.insert(obj.name, data)
        assert result.id is not None
        if recorded_id:
            self.map_id(recorded_id, result.id)
        return result.id

    def _parent_for(self, f: FieldDef) -> str | None:
        target = next((t for t in f.reference_to if t != "User"), None)
        if target is None:
            return self.user_id
        return self.seed(target, {})

    def _writable(self, obj: SObjectDef, values: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, value in values.items():
            if key in ("attributes", "Id") or value is None:
                continue
            if isinstance(value, dict) and "attributes" in value:  # parent relationship
                rel = obj.relationship(key)
                if rel is not None:
                    parent = self.seed_record(value)
                    if parent:
                        data[rel.name] = parent
                continue
            f = obj.field(key)
            if f is None or not f.createable or isinstance(value, dict | list):
                continue
            if f.type == "reference":
                mapped = self._ref(str(value))
                if mapped:
                    data[f.name] = mapped
                continue
            data[f.name] = value
        return data

    def _ref(self, recorded: str) -> str | None:
        if recorded in self.id_map:
            return self.id_map[recorded]
        if recorded.startswith("005"):
            return self.user_id
        obj = self._object_of_id(recorded)
        return self.seed(obj.name, {}, recorded) if obj is not None else None

    def _object_of_id(self, recorded: str) -> SObjectDef | None:
        name = RECORDED_PREFIXES.get(recorded[:3])
        obj = self.org.schema.get(name) if name else None
        return obj if obj is not None else self.org.schema.by_prefix(recorded[:3])

    def seed_record(
        self, record: dict[str, Any], extra: dict[str, Any] | None = None
    ) -> str | None:
        """A record as a query/GET returned it: `attributes.type`, its id in `Id` or the url."""
        attrs = record.get("attributes") or {}
        sobject = attrs.get("type")
        if not sobject or sobject == "AggregateResult":
            return None
        rid = record.get("Id") or (str(attrs.get("url", "")).rsplit("/", 1)[-1] or None)
        new = self.seed(sobject, {**record, **(extra or {})}, rid)
        if new is None and rid:
            self._map_unseedable(sobject, rid)
            return None
        obj = self.org.schema.get(sobject)
        for key, value in record.items():  # child subqueries: {totalSize, done, records}
            if (
                obj is not None
                and isinstance(value, dict)
                and isinstance(value.get("records"), list)
            ):
                self._seed_children(obj, key, value["records"], new)
        return new

    def _seed_children(
        self, parent: SObjectDef, rel: str, records: list[Any], parent_id: str | None
    ) -> None:
        link = next(
            (
                c
                for c in parent.child_relationships
                if str(c.get("relationshipName", "")).lower() == rel.lower()
            ),
            None,
        )
        if link is None or parent_id is None:
            return
        for child in records:
            if isinstance(child, dict):
                self.seed_record(child, {link["field"]: parent_id})

    def _map_unseedable(self, sobject: str, rid: str) -> None:
        if sobject.lower() == "user":
            self.map_id(rid, self.user_id)
        elif sobject.lower() == "organization":
            self.map_id(rid, self.org_id)

    def seed_from_json(self, body: Any, extra: dict[str, dict[str, Any]] | None = None) -> None:
        """Every record found anywhere in a recorded body (query pages, composite bodies)."""
        if isinstance(body, list):
            for item in body:
                self.seed_from_json(item, extra)
        elif isinstance(body, dict):
            attrs = body.get("attributes")
            if (
                isinstance(attrs, dict)
                and attrs.get("type")
                and attrs.get("type") != "AggregateResult"
            ):
                self.seed_record(body, (extra or {}).get(str(attrs["type"]).lower()))
                return
            for value in body.values():
                self.seed_from_json(value, extra)

    def seed_ids_in(self, text: str) -> None:
        """Ids the request names that no seeded record stands for yet (`005` is our user,
        `00D` our org)."""
        for rid in _ID.findall(text):
            if rid in self.id_map or not any(c.isdigit() for c in rid):
                continue
            if rid.startswith("00D"):
                self.map_id(rid, self.org_id)
            elif rid.startswith("005"):
                self.map_id(rid, self.user_id)
            else:
                obj = self._object_of_id(rid)
                if obj is not None and obj.createable:
                    self.seed(obj.name, {}, rid)

    def prepare(self, it: Interaction) -> None:
        """Put the org in the state the recorded request was sent to."""
        req, resp = it.request, it.response
        for spec in it.setup.get("seed", []):
            spec = dict(spec)
            self.seed(spec.pop("sobject"), spec, spec.get("Id"))
        rest = endpoint_of(req.path)
        body_json = _json_or_none(resp)
        explicit = bool(it.setup.get("seed"))  # the fixture says what the org holds
        if (
            not explicit
            and req.method == "GET"
            and (
                rest == "query"
                or rest.startswith(("query", "queryAll"))
                or it.setup.get("seed_response")
                or re.match(r"sobjects/\w+/\w{15,18}$", rest)
            )
        ):
            self.seed_from_json(body_json, _where_equalities(req.url))
        if rest == "composite" and isinstance(body_json, dict):
            self.seed_from_json(body_json)
        self._seed_upsert_matches(it, rest, body_json)
        self.seed_ids_in(unquote(req.url) + " " + req.text)
        if isinstance(body_json, list) and any(
            isinstance(e, dict) and e.get("errorCode") == "ENTITY_IS_DELETED" for e in body_json
        ):
            for rid in _ID.findall(req.path):
                if rid in self.id_map:
                    self.org.delete(None, self.id_map[rid])

    def _seed_upsert_matches(self, it: Interaction, rest: str, body_json: Any) -> None:
        req = it.request
        single = re.match(r"^sobjects/(\w+)/(\w+)/(.+)$", rest)
        if req.method == "PATCH" and single and it.response.status in (200, 204):
            sobject, field, value = single.group(1), single.group(2), unquote(single.group(3))
            if not self.org.find_by_external_id(sobject, field, value):
                self.seed(sobject, {field: value})
        many = re.match(r"^composite/sobjects/(\w+)/(\w+)$", rest)
        if req.method == "PATCH" and many and isinstance(body_json, list):
            sent = (req.json() or {}).get("records", [])
            for record, result in zip(sent, body_json, strict=False):
                if isinstance(result, dict) and result.get("created") is False:
                    self.seed(many.group(1), record, str(result.get("id")))


def _json_or_none(resp: Any) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _where_equalities(url: str) -> dict[str, dict[str, Any]]:
    """`WHERE Field = 'value'` terms of a recorded query, so seeded records match it again."""
    out: dict[str, dict[str, Any]] = {}
    for q in parse_qs(urlsplit(url).query).get("q", []):
        found = re.search(r"\bfrom\s+(\w+)\s+where\s+(.*)$", q, flags=re.IGNORECASE | re.DOTALL)
        if not found:
            continue
        terms = re.findall(r"(\w+)\s*=\s*'([^']*)'", found.group(2))
        out[found.group(1).lower()] = {
            k: v for k, v in terms if k.lower() not in ("id", "sobjecttype")
        }
    return out
