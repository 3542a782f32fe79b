"""The pure core of entity sync: mapping, namespaces, filters, diffs and plan checks.

Nothing here talks to Salesforce or a database; the runner feeds it source batches and
describes and sends what it returns.
"""

from __future__ import annotations

from forcebridge.sync.diff import Change, DictState, Diffed, Differ, SyncedState, payload_hash
from forcebridge.sync.filters import AccountFilter, AccountGate
from forcebridge.sync.mapper import MappedRecord, Mapper, MappingError, compile_mapping
from forcebridge.sync.mapping import FieldMapping, MappingSpec, Namespace, SyncMode, Target
from forcebridge.sync.plan import PlanError, Problem, check, ensure_valid, referenced_objects
from forcebridge.sync.prepare import PreparedBatch, prepare, prepare_all
from forcebridge.sync.schema import DescribedObject, ObjectSchema, lookup_from

__all__ = [
    "AccountFilter",
    "AccountGate",
    "Change",
    "DescribedObject",
    "DictState",
    "Diffed",
    "Differ",
    "FieldMapping",
    "MappedRecord",
    "Mapper",
    "MappingError",
    "MappingSpec",
    "Namespace",
    "ObjectSchema",
    "PlanError",
    "PreparedBatch",
    "Problem",
    "SyncMode",
    "SyncedState",
    "Target",
    "check",
    "compile_mapping",
    "ensure_valid",
    "lookup_from",
    "payload_hash",
    "prepare",
    "prepare_all",
    "referenced_objects",
]
