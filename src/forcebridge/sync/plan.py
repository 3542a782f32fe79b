"""Checks an entity sync's target and mappings against the org's describe, all at once.

Pure: it takes describes (anything satisfying `schema.ObjectSchema`) and returns every
problem, each naming the field and the reason, so a user fixes a mapping in one go instead of
one error per run. The runner describes the target first, then the parents named by reference
mappings (`referenced_objects`), and calls `check`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from forcebridge.errors import InvalidInput
from forcebridge.sync.mapper import (
    NUMBER_TYPES,
    TEXT_TYPES,
    auto_candidates,
    find_field,
    reference_names,
)
from forcebridge.sync.mapping import (
    FieldMapping,
    MappingSpec,
    ReferenceTransform,
    SyncMode,
    TextTransform,
    ValueMapTransform,
    transform_kind,
)
from forcebridge.sync.schema import FieldSchema, ObjectSchema, SchemaLookup, required_on_create

ALL_TYPES: frozenset[str] = frozenset()  # empty: any type
COMPATIBLE: dict[str, frozenset[str]] = {
    "text": TEXT_TYPES | {"id", "reference", "time"},
    "number": NUMBER_TYPES,
    "boolean": frozenset({"boolean"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"datetime"}),
    "value_map": frozenset({"picklist", "multipicklist", "combobox", "string", "textarea"}),
    "reference": frozenset({"reference"}),
    "raw": ALL_TYPES,
    "auto": ALL_TYPES,
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that would make the sync fail; `field` is the resolved API name."""

    field: str
    reason: str


class PlanError(InvalidInput):
    """The mapping does not fit the org; `details` lists every problem."""

    code = "invalid_mapping"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "; ".join(f"{p.field}: {p.reason}" for p in problems),
            details=[{"field": p.field, "reason": p.reason} for p in problems],
        )
        self.problems = problems


def referenced_objects(spec: MappingSpec, target: ObjectSchema) -> set[str]:
    """Parent objects reference mappings point at, which `check` needs described too."""
    ns = spec.target.namespace
    parents: set[str] = set()
    for m in spec.mappings:
        if isinstance(m.transform, ReferenceTransform):
            if m.transform.object:
                parents.add(ns.apply(m.transform.object))
                continue
            field = find_field(target, ns.apply(m.field))
            if field is not None and len(field.reference_to) == 1:
                parents.add(field.reference_to[0])
    return parents


def _check_reference(
    m: FieldMapping, t: ReferenceTransform, name: str, field: FieldSchema,
    spec: MappingSpec, lookup: SchemaLookup,
) -> list[Problem]:
    ns = spec.target.namespace
    if field.type != "reference":
        return [Problem(name, f"a reference needs a lookup field, {field.name} is {field.type}")]
    if t.object:
        parent = ns.apply(t.object)
        if field.reference_to and parent.lower() not in {r.lower() for r in field.reference_to}:
            targets = ", ".join(field.reference_to)
            return [Problem(name, f"{field.name} refers to {targets}, not {parent}")]
    elif len(field.reference_to) == 1:
        parent = field.reference_to[0]
    else:
        return [Problem(name, f"{field.name} refers to several objects "
                              f"({', '.join(field.reference_to)}): name the parent object")]
    parent_schema = lookup(parent)
    ext = ns.apply(t.external_id_field)
    if parent_schema is None:
        return [Problem(name, f"parent object {parent} does not exist or was not described")]
    ext_field = parent_schema.field(ext)
    if ext_field is None:
        return [Problem(name, f"parent object {parent} has no field {ext}")]
    if not (ext_field.external_id or ext_field.id_lookup):
        return [Problem(name, f"{parent}.{ext_field.name} is not an external id or id lookup "
                              "field, so parents cannot be matched on it")]
    return []


def _picklist_problems(
    name: str, field: FieldSchema, m: FieldMapping
) -> list[Problem]:
    if not field.restricted_picklist:
        return []
    allowed = set(field.picklist_values)
    t = m.transform
    produced: list[str] = []
    if isinstance(t, ValueMapTransform):
        produced = [*t.values.values(), *([t.default] if t.default is not None else [])]
    elif m.is_constant and isinstance(m.constant, str) and (t is None or isinstance(t, TextTransform)):
        produced = [m.constant]
    return [
        Problem(name, f"{value!r} is not a value of the restricted picklist {field.name}")
        for value in dict.fromkeys(produced) if value not in allowed
    ]


def _field_problems(
    m: FieldMapping, spec: MappingSpec, mode: SyncMode, target: ObjectSchema,
    lookup: SchemaLookup, source_columns: Collection[str] | None,
) -> tuple[str | None, list[Problem]]:
    """(the mapped field's API name, problems of this mapping)."""
    name = spec.target.namespace.apply(m.field)
    problems: list[Problem] = []
    if source_columns is not None and m.column is not None and m.column not in source_columns:
        problems.append(Problem(name, f"column {m.column!r} is not in the source"))
    field = find_field(target, name)
    if field is None:
        problems.append(Problem(name, f"{target.name} has no field {name}"))
        return None, problems
    kind = transform_kind(m.transform)
    if isinstance(m.transform, ReferenceTransform):
        problems += _check_reference(m, m.transform, name, field, spec, lookup)
        if field.type != "reference":
            return field.name, problems
    elif field.type == "reference" and field.name.lower() != name.lower():
        problems.append(Problem(name, f"{name} is a relationship: use a reference transform"))
    if mode.creates and not field.createable:
        problems.append(Problem(field.name, f"not createable, but mode {mode} creates records"))
    if mode.updates and not field.updateable:
        problems.append(Problem(field.name, f"not updateable, but mode {mode} updates records"))
    compatible = COMPATIBLE.get(kind, ALL_TYPES)
    if compatible and field.type not in compatible:
        problems.append(Problem(field.name, f"a {kind} transform cannot fill a {field.type} field"))
    if kind == "auto" and field.type == "datetime" and not spec.timezone:
        problems.append(Problem(field.name, "datetime needs a time zone: use a datetime "
                                            "transform or set the mapping's timezone"))
    problems += _picklist_problems(field.name, field, m)
    return field.name, problems


def check(
    spec: MappingSpec,
    mode: SyncMode,
    lookup: SchemaLookup,
    source_columns: Collection[str] | None = None,
) -> list[Problem]:
    """Every problem of `spec` in `mode` against the org; empty when the sync can run.

    `source_columns`, when known, lets the check see auto-mapped columns and catch mappings
    naming a column the source lacks.
    """
    object_name = spec.resolved_object()
    target = lookup(object_name)
    if target is None:
        return [Problem(object_name, f"the org has no object {object_name}")]
    problems: list[Problem] = []
    mapped: dict[str, str] = {}  # lower-cased field -> the mapping's field as written
    for m in spec.mappings:
        name, found = _field_problems(m, spec, mode, target, lookup, source_columns)
        problems += found
        if name is None:
            continue
        field = find_field(target, name)
        if isinstance(m.transform, ReferenceTransform) and field and field.type == "reference":
            name = reference_names(name, field)[1]
        if name.lower() in mapped:
            problems.append(Problem(name, f"mapped twice ({mapped[name.lower()]} and {m.field})"))
        mapped[name.lower()] = m.field
    if spec.auto_map and source_columns is not None:
        used = {m.column for m in spec.mappings}
        candidates = auto_candidates(target, mode)
        for column in source_columns:
            field = candidates.get(spec.target.namespace.apply(column).lower())
            if column not in used and field is not None:
                mapped.setdefault(field.name.lower(), column)
    problems += _external_id_problems(spec, mode, target, mapped)
    if mode.creates:
        for f in target.fields:
            if required_on_create(f) and f.name.lower() not in mapped:
                problems.append(Problem(f.name, f"required to create {target.name} records "
                                                "but not mapped"))
    return problems


def _external_id_problems(
    spec: MappingSpec, mode: SyncMode, target: ObjectSchema, mapped: dict[str, str]
) -> list[Problem]:
    ext = spec.resolved_external_id()
    if ext is None:
        if mode is SyncMode.INSERT:
            return []
        return [Problem("external_id_field", f"mode {mode} matches records on an external id "
                                             "field: name one")]
    field = target.field(ext)
    if field is None:
        return [Problem(ext, f"{target.name} has no field {ext}")]
    problems = []
    if not (field.external_id or field.id_lookup):
        problems.append(Problem(field.name, "not an external id or id lookup field, records "
                                            "cannot be matched on it"))
    if mode is not SyncMode.INSERT and field.name.lower() not in mapped:
        problems.append(Problem(field.name, "the external id field is not mapped, records would "
                                            "carry no value to match on"))
    return problems


def ensure_valid(
    spec: MappingSpec,
    mode: SyncMode,
    lookup: SchemaLookup,
    source_columns: Collection[str] | None = None,
) -> None:
    """`check`, raising one `PlanError` with every problem."""
    problems = check(spec, mode, lookup, source_columns)
    if problems:
        raise PlanError(problems)
