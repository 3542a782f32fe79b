"""A parsed query bound to one object: filter, sort, slice, and shape rows as Salesforce does.

One `Plan` per SELECT: the top-level query has one, and each child subquery
(`(SELECT Name FROM Contacts)`) has its own, bound to the child object. Everything a record
needs is resolved up front (closures and output keys), so per-record work stays small.

Row shape (restforce's query_success_response.json, NetCoreForce's query_case_result.json,
CumulusCI's TestUpsert cassettes): `attributes {type, url}`, fields in SELECT order in describe
casing, parents nested under the relationship name or `null`, children as
`{totalSize, done, records}` or `null` when there are none; aggregates as
`{"attributes": {"type": "AggregateResult"}, "expr0": n}` (restforce's aggregate fixture).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._schema import FieldDef, SObjectDef
from forcebridge_emulator._soql_eval import (
    Binder,
    ParentLookup,
    Predicate,
    Record,
    RecordSource,
    field_kind,
    sort_key,
)
from forcebridge_emulator._soql_lex import query_error
from forcebridge_emulator._soql_parse import Aggregate, FieldPath, OrderItem, Query, SubQuery

SortKey = Callable[[Record], tuple[int, Any]]

_NO_CHILD_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in FROM part of query call. If you are attempting "
    "to use a custom relationship, be sure to append the '__r' after the custom relationship "
    "name. Please reference your WSDL or the describe call for the appropriate names."
)


@dataclass
class Context:
    """What every plan of one query run shares."""

    org: RecordSource
    soql: str
    today: date
    url_base: str  # "/services/data/v57.0/sobjects"
    include_deleted: bool
    parents: ParentLookup = field(init=False)

    def __post_init__(self) -> None:
        self.parents = ParentLookup(self.org)


@dataclass
class _Child:
    """A child subquery column: its plan and the child's reference field to this object."""

    key: str
    plan: Plan
    fk: str
    index: dict[str, list[Record]] | None = None

    def rows(self, ctx: Context, parent_id: Any) -> dict[str, Any] | None:
        if self.index is None:
            self.index = defaultdict(list)
            for rec in ctx.org.iter_records(
                self.plan.obj.name, include_deleted=ctx.include_deleted
            ):
                if rec.get(self.fk):
                    self.index[str(rec[self.fk])[:15]].append(rec)
        children = self.index.get(str(parent_id)[:15], []) if parent_id else []
        picked = self.plan.page(self.plan.select(children))
        if not picked:
            return None
        rows = [self.plan.shape(r, self.plan.obj.name) for r in picked]
        return {"totalSize": len(rows), "done": True, "records": rows}


@dataclass
class _Node:
    """One level of the output record: (key, field, parent node, child) in SELECT order."""

    entries: list[tuple[str, FieldDef | None, _Node | None, _Child | None]] = field(
        default_factory=list
    )
    parents: dict[str, _Node] = field(default_factory=dict)

    def add(self, hops: tuple[FieldDef, ...], f: FieldDef) -> None:
        if not hops:
            self.entries.append((f.name, f, None, None))
            return
        ref = hops[0]
        key = ref.relationship_name or ref.name
        node = self.parents.get(key.lower())
        if node is None:
            node = self.parents[key.lower()] = _Node()
            self.entries.append((key, ref, node, None))
        node.add(hops[1:], f)


class Plan:
    """One SELECT bound to `obj`."""

    def __init__(self, ctx: Context, obj: SObjectDef, query: Query) -> None:
        self.ctx = ctx
        self.obj = obj
        self.query = query
        self.binder = Binder(ctx.org.schema, obj, ctx.soql, ctx.today)
        self.tree = _Node()
        self.aggregates: list[tuple[str, Aggregate, Callable[[Record], Any]]] = []
        self._bind_select()
        where = query.where
        self.where: Predicate | None = (
            self.binder.predicate(where, ctx.parents) if where is not None else None
        )
        self.orderings = [self._ordering(item) for item in query.order_by]

    # ---- binding ----------------------------------------------------------------------------

    def _bind_select(self) -> None:
        seen: set[tuple[str, ...]] = set()
        plain: FieldPath | SubQuery | None = None
        for item in self.query.fields:
            if isinstance(item, Aggregate):
                self._bind_aggregate(item)
                continue
            plain = plain or item
            if isinstance(item, SubQuery):
                child = self._child(item)
                self.tree.entries.append((child.key, None, None, child))
                continue
            bound = self.binder.path(item)
            ident = tuple(k.lower() for k in bound.keys)
            if ident in seen:
                # Wording and code from the SOQL reference's FIELDS() page.
                raise ApiError(400, "INVALID_FIELD", f"duplicate field selected: {item.text}")
            seen.add(ident)
            self.tree.add(bound.hops, bound.field)
        if self.aggregates and plain is not None:
            if isinstance(plain, SubQuery):
                raise query_error(
                    "MALFORMED_QUERY", self.ctx.soql, plain.pos, "unexpected token: '('"
                )
            raise query_error(
                "MALFORMED_QUERY",
                self.ctx.soql,
                plain.pos,
                f"Field must be grouped or aggregated: {plain.text}",
            )

    def _bind_aggregate(self, agg: Aggregate) -> None:
        bound = self.binder.path(agg.field)
        get = bound.getter(self.ctx.parents)
        unnamed = sum(1 for _, a, _ in self.aggregates if a.alias is None)
        self.aggregates.append((agg.alias or f"expr{unnamed}", agg, get))

    def _child(self, sub: SubQuery) -> _Child:
        name = sub.query.sobject
        rel = next(
            (
                c
                for c in self.obj.child_relationships
                if (c.get("relationshipName") or "").lower() == name.lower()
            ),
            None,
        )
        child_obj = self.ctx.org.schema.get(rel["childSObject"]) if rel else None
        if rel is None or child_obj is None or sub.query.count:
            raise query_error(
                "INVALID_TYPE",
                self.ctx.soql,
                sub.query.sobject_pos,
                _NO_CHILD_RELATIONSHIP.format(name=name),
            )
        return _Child(rel["relationshipName"], Plan(self.ctx, child_obj, sub.query), rel["field"])

    def _ordering(self, item: OrderItem) -> tuple[SortKey, bool]:
        """Nulls sort first unless NULLS LAST, whatever the direction ("By default, null
        values are sorted first" - SOQL reference, ORDER BY); text sorts case-insensitively."""
        bound = self.binder.path(item.field)
        f = bound.field
        if not f.sortable:
            raise self.binder.error(
                "INVALID_FIELD",
                item.field.pos,
                f"field '{f.name}' can not be sorted in a query call",
            )
        get = bound.getter(self.ctx.parents)
        to_key = sort_key(field_kind(f))
        nulls_first = not item.nulls_last
        # The flag places nulls against values; reverse=True flips it, so pre-flip for DESC.
        null_flag = (0 if nulls_first else 2) if not item.descending else (2 if nulls_first else 0)

        def key(r: Record) -> tuple[int, Any]:
            v = to_key(get(r))
            return (null_flag, 0) if v is None else (1, v)

        return key, item.descending

    def own_fields(self) -> list[FieldDef] | None:
        """The selected fields, in SELECT order, when every one is a field of the queried
        object itself (no parent, subquery or aggregate); None otherwise."""
        if self.aggregates:
            return None
        fields: list[FieldDef] = []
        for _key, f, parent, child in self.tree.entries:
            if f is None or parent is not None or child is not None:
                return None
            fields.append(f)
        return fields

    # ---- running ----------------------------------------------------------------------------

    def select(self, records: Iterable[Record]) -> list[Record]:
        """Filtered and sorted, not yet sliced."""
        where = self.where
        matched = [r for r in records if where(r)] if where is not None else list(records)
        for key, descending in reversed(self.orderings):  # stable sorts, least significant last
            matched.sort(key=key, reverse=descending)
        return matched

    def page(self, matched: list[Record]) -> list[Record]:
        start = self.query.offset or 0
        stop = None if self.query.limit is None else start + self.query.limit
        return matched[start:stop]

    def aggregate_row(self, matched: list[Record]) -> dict[str, Any]:
        row: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for key, _agg, get in self.aggregates:
            row[key] = sum(1 for r in matched if get(r) is not None)
        return row

    def shape(self, record: Record, sobject: str, node: _Node | None = None) -> dict[str, Any]:
        node = node or self.tree
        out: dict[str, Any] = {
            "attributes": {
                "type": sobject,
                "url": f"{self.ctx.url_base}/{sobject}/{record.get('Id')}",
            }
        }
        for key, f, parent, child in node.entries:
            if child is not None:
                out[key] = child.rows(self.ctx, record.get("Id"))
            elif parent is not None:
                assert f is not None
                found = self.ctx.parents(record.get(f.name))
                out[key] = self.shape(found[1], found[0], parent) if found else None
            else:
                out[key] = record.get(key)
        return out
