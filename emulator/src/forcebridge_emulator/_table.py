"""One object's records and the write plan computed once for it.

`Org` does the rules; `Table` holds what makes them cheap per record: the blank-record
template, a per-field writer (coercer + permissions + reference targets), the list of
required fields, and dict indexes for unique, external-id and idLookup values.
"""

from __future__ import annotations

from typing import Any

from forcebridge_emulator._errors import ApiError, SaveError
from forcebridge_emulator._schema import FieldDef, SObjectDef
from forcebridge_emulator._values import BadValue, Coercer, coercer

# (field API name, coercer, createable, updateable, lower-case reference targets or None)
Writer = tuple[str, Coercer, bool, bool, frozenset[str] | None]

_AUTO_NUMBER_START = {"CaseNumber": 1000, "ContractNumber": 100}
# Compound address keys in the order records show them (alphabetical). Standard objects in
# orgs with state/country picklists also carry countryCode/stateCode (NetCoreForce
# account.json); the emulator has no picklist code fields, so those stay null.
_ADDRESS_PARTS = (
    ("city", "City"), ("country", "Country"), ("countryCode", None),
    ("geocodeAccuracy", "GeocodeAccuracy"), ("latitude", "Latitude"), ("longitude", "Longitude"),
    ("postalCode", "PostalCode"), ("state", "State"), ("stateCode", None), ("street", "Street"),
)  # fmt: skip


def index_key(value: Any, case_sensitive: bool) -> Any:
    """What an index files a value under: text folds case unless the field is case-sensitive."""
    if isinstance(value, str) and not case_sensitive:
        return value.lower()
    return value


class Table:
    """Records of one object, keyed by 18-char id, in creation order."""

    def __init__(self, obj: SObjectDef) -> None:
        self.obj = obj
        self.prefix = obj.key_prefix
        self.is_event = obj.is_platform_event
        self.records: dict[str, dict[str, Any]] = {}
        self.live = 0
        self.has_owner = "OwnerId" in obj.fields
        self.writers: dict[str, Writer] = {}
        self.template: dict[str, Any] = {}
        self.booleans: list[str] = []
        for f in obj.fields.values():
            self.writers[f.name] = _writer(f)
            self.template[f.name] = _default(f)
            if f.type == "boolean" and f.name != "IsDeleted":
                self.booleans.append(f.name)
        if "IsDeleted" in obj.fields:
            self.template["IsDeleted"] = False
        self.required = [f.name for f in obj.fields.values() if f.required_on_create]
        self.required_on_update = frozenset(
            f.name
            for f in obj.fields.values()
            if f.updateable and not f.nillable and f.type != "boolean"
        )
        self.unique = [(f.name, f.case_sensitive) for f in obj.fields.values() if f.unique]
        # Indexed fields: name -> (case_sensitive, {key: [ids]}).
        self.indexes: dict[str, tuple[bool, dict[Any, list[str]]]] = {
            f.name: (f.case_sensitive, {})
            for f in obj.fields.values()
            if (f.unique or f.external_id) and f.type != "id"
        }
        # Auto-number field -> next number (burnt numbers are not reused, as in a real org).
        self.autonumbers: dict[str, int] = {
            f.name: _AUTO_NUMBER_START.get(f.name, 1) for f in obj.fields.values() if f.auto_number
        }
        self.compose_name = (
            "FirstName" in obj.fields
            and "LastName" in obj.fields
            and "Name" in obj.fields
            and not obj.fields["Name"].createable
            and obj.createable
        )
        self.name_is_id = obj.custom and not self.is_event and "Name" in obj.fields
        self.addresses = [
            (
                f.name,
                [
                    (key, None if part is None else f.name[: -len("Address")] + part)
                    for key, part in _ADDRESS_PARTS
                ],
            )
            for f in obj.fields.values()
            if f.type == "address"
        ]

    # --- fields -------------------------------------------------------------------------

    def writer(self, name: str) -> Writer | None:
        """Case-insensitive writer lookup; caches the spelling the client used."""
        f = self.obj.field(name)
        if f is None:
            return None
        w = self.writers[f.name]
        self.writers[name] = w
        return w

    def blank(self) -> dict[str, Any]:
        return self.template.copy()

    def key_field(self, name: str) -> FieldDef:
        """The field an upsert or foreign key matches on; indexed from now on."""
        f = self.obj.field(name)
        if f is None:
            raise ApiError(
                404, "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {name}",
            )  # fmt: skip
        if not f.is_key_field:
            raise ApiError(
                400, "INVALID_FIELD",
                f"Invalid field for upsert, must be an External Id custom or standard indexed "
                f"field: {f.name}",
                [f.name],
            )  # fmt: skip
        if f.type != "id" and f.name not in self.indexes:
            idx: dict[Any, list[str]] = {}
            self.indexes[f.name] = (f.case_sensitive, idx)
            for rec in self.records.values():
                if not rec["IsDeleted"] and rec[f.name] is not None:
                    idx.setdefault(index_key(rec[f.name], f.case_sensitive), []).append(rec["Id"])
        return f

    def referencing(self, field_name: str, parent_id: str) -> list[str]:
        """Live ids whose reference `field_name` holds `parent_id` (indexed from now on)."""
        entry = self.indexes.get(field_name)
        if entry is None:
            idx: dict[Any, list[str]] = {}
            entry = self.indexes[field_name] = (True, idx)
            for rec in self.records.values():
                if not rec["IsDeleted"] and rec[field_name] is not None:
                    idx.setdefault(rec[field_name], []).append(rec["Id"])
        return list(entry[1].get(parent_id, ()))

    def lookup(self, key: FieldDef, value: Any) -> list[str]:
        """Live ids whose `key` field equals `value`; `key` must come from `key_field`."""
        case_sensitive, idx = self.indexes[key.name]
        try:
            v = self.writers[key.name][1](value)
        except BadValue:
            return []
        return idx.get(index_key(v, case_sensitive), [])

    # --- records ------------------------------------------------------------------------

    def put(self, rec: dict[str, Any]) -> None:
        self.records[rec["Id"]] = rec
        if not rec.get("IsDeleted"):
            self.index(rec)
            self.live += 1

    def index(self, rec: dict[str, Any]) -> None:
        rid = rec["Id"]
        for name, (cs, idx) in self.indexes.items():
            v = rec[name]
            if v is not None:
                k = index_key(v, cs)
                hit = idx.get(k)
                if hit is None:
                    idx[k] = [rid]
                elif rid not in hit:
                    hit.append(rid)

    def unindex(self, rec: dict[str, Any]) -> None:
        rid = rec["Id"]
        for name, (cs, idx) in self.indexes.items():
            v = rec[name]
            if v is not None:
                k = index_key(v, cs)
                hit = idx.get(k)
                if hit is not None and rid in hit:
                    if len(hit) == 1:
                        del idx[k]
                    else:
                        hit.remove(rid)

    def find_duplicate(self, rec: dict[str, Any], self_id: str | None) -> SaveError | None:
        """DUPLICATE_VALUE if a unique field's value is taken by another live record."""
        for name, cs in self.unique:
            v = rec[name]
            if v is None:
                continue
            for other in self.indexes[name][1].get(index_key(v, cs), ()):
                if other != self_id:
                    return SaveError(
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {name} duplicates value on record with id: "
                        f"{other}",
                        [],
                    )
        return None

    def finish(self, rec: dict[str, Any], *, creating: bool) -> None:
        """Derived fields: auto-numbers, composed names, compound addresses, false booleans."""
        if creating:
            for name, n in self.autonumbers.items():
                rec[name] = f"{n:08d}"
                self.autonumbers[name] = n + 1
            if self.name_is_id and rec["Name"] is None:
                rec["Name"] = rec["Id"]
        for b in self.booleans:
            if rec[b] is None:
                rec[b] = False
        if self.compose_name:
            first, last = rec["FirstName"], rec["LastName"]
            rec["Name"] = f"{first} {last}" if first and last else (last or first)
        for compound, parts in self.addresses:
            addr = {key: None if col is None else rec.get(col) for key, col in parts}
            rec[compound] = addr if any(v is not None for v in addr.values()) else None

    def restore(self, record_id: str, before: dict[str, Any] | None) -> None:
        """Undo one logged change: `before` is the record as it was (None: did not exist)."""
        cur = self.records.get(record_id)
        if cur is not None and not cur["IsDeleted"]:
            self.unindex(cur)
            self.live -= 1
        if before is None:
            self.records.pop(record_id, None)
            return
        if cur is None:
            self.records[record_id] = cur = {}
        cur.clear()
        cur.update(before)
        if not cur["IsDeleted"]:
            self.index(cur)
            self.live += 1


def _writer(f: FieldDef) -> Writer:
    targets = frozenset(t.lower() for t in f.reference_to) if f.type == "reference" else None
    return (f.name, coercer(f), f.createable, f.updateable, targets)


def _default(f: FieldDef) -> Any:
    """The value a new record gets when the client sends none."""
    if f.type == "boolean":
        return bool(f.default_value)
    if f.defaulted_on_create and f.default_picklist is not None:
        return f.default_picklist
    if f.custom and f.default_value is not None:
        return f.default_value
    return None
