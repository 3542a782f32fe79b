"""From posted values to a Salesforce payload, with the sync engine's mapper.

A post is one `SourceRecord` (its key is the post id) mapped by `sync.mapper` in insert mode,
so forms and entity syncs share every transform. What forms add: which posted keys are
ignored (neither mapped nor, with auto-match, named like a createable field), blank values
counting as not posted, and the required-on-create fields the payload lacks, each named with
what the sender should post. Pure: takes the object's describe, touches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forcebridge.kinds.inbound_form import InboundFormConfig
from forcebridge.sources.base import SourceRecord
from forcebridge.sync.mapper import MappingError, auto_candidates, compile_mapping, find_field
from forcebridge.sync.mapping import SyncMode
from forcebridge.sync.plan import Problem
from forcebridge.sync.schema import FieldSchema, ObjectSchema, required_on_create

REQUIRED_EMPTY = "required field is empty"


@dataclass
class PreparedPost:
    """What a post would send: the payload, the keys ignored, and why it cannot be sent."""

    payload: dict[str, Any]
    ignored: list[str]
    problems: list[Problem] = field(default_factory=list)


def required_fields(schema: ObjectSchema) -> list[FieldSchema]:
    """Fields a create cannot do without: createable, not nillable, not defaulted on create
    (booleans are never among them: Salesforce defaults them to false)."""
    return [f for f in schema.fields if required_on_create(f)]


def auto_targets(config: InboundFormConfig, schema: ObjectSchema) -> dict[str, FieldSchema]:
    """With auto-match: lower-cased posted key -> the createable field it fills, leaving out
    fields an explicit mapping fills (the mapping wins, as in the sync mapper)."""
    if not config.auto_match:
        return {}
    ns = config.namespace
    taken = set()
    for m in config.mappings:
        found = find_field(schema, ns.apply(m.field))
        taken.add((found.name if found is not None else ns.apply(m.field)).lower())
    candidates = auto_candidates(schema, SyncMode.INSERT)
    return {
        name: f for name, f in candidates.items()
        if f.name.lower() not in taken
    }


def ignored_keys(
    config: InboundFormConfig, keys: list[str], schema: ObjectSchema | None
) -> list[str]:
    """Posted keys that go nowhere. Without a describe only explicit mappings are known, so
    with auto-match nothing is called ignored until the object has been described."""
    mapped = config.mapped_keys()
    if config.auto_match and schema is None:
        return []
    auto = auto_targets(config, schema) if schema is not None else {}
    ns = config.namespace
    return [k for k in keys if k not in mapped and ns.apply(k).lower() not in auto]


def _blank_to_none(values: dict[str, Any]) -> dict[str, Any]:
    """A blank form field was not filled in: it counts as not posted."""
    return {
        k: None if v is None or (isinstance(v, str) and not v.strip()) else v
        for k, v in values.items()
    }


def _is_filled(
    config: InboundFormConfig, f: FieldSchema, values: dict[str, Any],
    auto: dict[str, FieldSchema],
) -> bool:
    """Whether `values` (blanks already None) give the field a value, through an explicit
    mapping (a constant or a posted key) or, with auto-match, a key named like the field."""
    ns = config.namespace
    explicit = [m for m in config.mappings if ns.apply(m.field).lower() == f.name.lower()]
    if explicit:
        return any(
            m.constant is not None if m.is_constant else values.get(m.column or "") is not None
            for m in explicit
        )
    if f.name.lower() not in {a.name.lower() for a in auto.values()}:
        return False
    return any(v is not None and ns.apply(k).lower() == f.name.lower() for k, v in values.items())


def _how_to_fill(config: InboundFormConfig, f: FieldSchema) -> str:
    ns = config.namespace
    keys = [
        m.column for m in config.mappings
        if m.column is not None and ns.apply(m.field).lower() == f.name.lower()
    ]
    if keys:
        return f"required: the post has no value for {keys[0]!r}"
    if config.auto_match:
        return f"required: post a value as {f.name!r}"
    return f"required to create {config.object} records but not mapped"


def prepare(
    config: InboundFormConfig, schema: ObjectSchema, post_id: str, received: dict[str, Any]
) -> PreparedPost:
    """The payload for `received` under the current mapping, or every reason it cannot go:
    each required field left empty and each value a transform refused, by field."""
    values = _blank_to_none(received)
    auto = auto_targets(config, schema)
    problems = [
        Problem(f.name, _how_to_fill(config, f))
        for f in required_fields(schema) if not _is_filled(config, f, values, auto)
    ]
    mapper = compile_mapping(config.mapping_spec(), schema, SyncMode.INSERT)
    try:
        payload = mapper.map(SourceRecord(key=post_id, account_id=None, values=values, line=0))
    except MappingError as exc:
        problems += [Problem(e.field, e.reason) for e in exc.errors if e.reason != REQUIRED_EMPTY]
        return PreparedPost({}, ignored_keys(config, list(received), schema), problems)
    # Sending null would override a field's default on create: leave unposted fields out.
    sent = {k: v for k, v in payload.payload.items() if v is not None}
    return PreparedPost(sent, ignored_keys(config, list(received), schema), problems)
