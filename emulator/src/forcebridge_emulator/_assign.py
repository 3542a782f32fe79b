"""Applying a client's values to a record: the per-field checks of every write.

Separate from `Org` because it is the hot path of bulk loads: one loop over the values with
the per-field writer precomputed by `Table`, and the cross-record checks (references, foreign
keys by external id) done only for fields that need them.
"""

from __future__ import annotations

from typing import Any

from forcebridge_emulator import _ids as ids
from forcebridge_emulator._errors import ApiError, SaveError
from forcebridge_emulator._schema import Schema
from forcebridge_emulator._table import Table
from forcebridge_emulator._values import BadValue

_FLS = (
    "Unable to create/update fields: {}. Please check the security settings of this field "
    "and verify that it is read/write for your profile or permission set."
)
# Keys a client may send that are not fields (collections records carry `attributes`).
_IGNORED_KEYS = frozenset({"attributes"})


def assign(
    tables: dict[str, Table],
    schema: Schema,
    table: Table,
    target: dict[str, Any],
    values: dict[str, Any],
    *,
    creating: bool,
    record_id: str | None = None,
) -> list[SaveError]:
    """Validate `values` into `target`; returns errors (empty when all is well)."""
    writers = table.writers
    errors: list[SaveError] = []
    locked: list[str] = []
    for name, value in values.items():
        w = writers.get(name)
        if w is None:
            w = table.writer(name)
            if w is None:
                if name in _IGNORED_KEYS:
                    continue
                if isinstance(value, dict):
                    err = _resolve_foreign(tables, table, name, value, target)
                    if err is not None:
                        errors.append(err)
                    continue
                errors.append(
                    SaveError(
                        "INVALID_FIELD",
                        f"No such column '{name}' on sobject of type {table.obj.name}",
                        [],
                    )
                )
                continue
        fname, coerce, can_create, can_update, ref_targets = w
        if not (can_create if creating else can_update):
            if fname == "Id":
                if not creating and ids.normalize(value) == record_id:
                    continue
                if creating:
                    errors.append(
                        SaveError(
                            "INVALID_FIELD_FOR_INSERT_UPDATE",
                            "cannot specify Id in an insert call",
                            ["Id"],
                        )
                    )
                    continue
            locked.append(fname)
            continue
        if value is None:
            target[fname] = None
            continue
        try:
            v = coerce(value)
        except BadValue as bad:
            errors.append(bad.error)
            continue
        if ref_targets is not None and v is not None:
            err = _check_reference(tables, schema, table, fname, v, ref_targets)
            if err is not None:
                errors.append(err)
                continue
        target[fname] = v
    if locked:
        errors.insert(0, SaveError("INVALID_FIELD_FOR_INSERT_UPDATE", _FLS.format(
            ", ".join(locked)), locked))  # fmt: skip
    return errors


def _check_reference(
    tables: dict[str, Table],
    schema: Schema,
    table: Table,
    fname: str,
    ref_id: str,
    targets: frozenset[str],
) -> SaveError | None:
    field = table.obj.fields[fname]
    prefix = ref_id[:3]
    target_obj = schema.by_prefix(prefix)
    if target_obj is None or target_obj.name.lower() not in targets:
        if not (targets - set(tables)):  # every target is an object we model
            return SaveError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"{field.label}: id value of incorrect type: {ref_id}",
                [fname],
            )
        return None  # points at an object the emulator does not model: trust it
    rec = tables[target_obj.name.lower()].records.get(ref_id)
    if rec is None:
        return SaveError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [fname])
    if rec["IsDeleted"]:
        return SaveError("ENTITY_IS_DELETED", "entity is deleted", [fname])
    return None


def _resolve_foreign(
    tables: dict[str, Table],
    table: Table,
    rel_name: str,
    value: dict[str, Any],
    target: dict[str, Any],
) -> SaveError | None:
    """`{"Account": {"External_Id__c": "A1"}}`: set AccountId from the parent's ext id."""
    field = table.obj.relationship(rel_name)
    if field is None:
        return SaveError(
            "INVALID_FIELD", f"No such column '{rel_name}' on sobject of type {table.obj.name}"
        )
    keys = [k for k in value if k != "attributes"]
    if len(keys) != 1:
        return SaveError(
            "INVALID_FIELD",
            "More than 1 field provided in an external foreign key reference in entity: "
            f"{field.reference_to[0] if field.reference_to else rel_name}",
        )
    parent_name = value.get("attributes", {}).get("type") or field.reference_to[0]
    parent = tables.get(str(parent_name).lower())
    if parent is None:
        return SaveError("INVALID_FIELD", f"Invalid foreign key relationship name {rel_name}")
    try:
        key = parent.key_field(keys[0])
    except ApiError as exc:
        return exc.save_error()
    ext = value[keys[0]]
    found = [ids.to18(ext)] if key.type == "id" and ids.is_valid(ext) else (
        parent.lookup(key, ext) if key.type != "id" else [])  # fmt: skip
    found = [i for i in found if i in parent.records and not parent.records[i]["IsDeleted"]]
    if len(found) != 1:
        what = "not found" if not found else "matched multiple records"
        return SaveError(
            "INVALID_FIELD",
            f"Foreign key external ID: {ext} {what} for field {key.name} in entity "
            f"{parent.obj.name}",
            [],
        )
    target[field.name] = found[0]
    return None
