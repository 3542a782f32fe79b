"""The emulator's SOQL: run one query against an org and get rows shaped as Salesforce sends them.

`run_query` is what the query routes (query, queryAll, Bulk query) call. It parses the whole
statement first (`soql_parse`), binds it to the schema (`soql_eval`, `soql_plan`), then
filters, sorts and shapes records. Paging is the caller's job: the full result is a plain
list, cheap to slice.

Row shape (restforce's query_success_response.json, NetCoreForce's query_case_result.json):
`{"attributes": {"type", "url"}, <fields in SELECT order, describe casing>}`, with parent
fields nested under the relationship name (`"Account": {"attributes": ..., "Name": ...}`) or
`null` when the reference is empty; child subqueries as `{totalSize, done, records}` or
`null`. `SELECT COUNT()` gives `totalSize` and no records; `COUNT(Id)` one AggregateResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from forcebridge_emulator._schema import FieldDef
from forcebridge_emulator._soql_dates import today_utc
from forcebridge_emulator._soql_eval import RecordSource
from forcebridge_emulator._soql_lex import query_error
from forcebridge_emulator._soql_parse import MAX_OFFSET, parse
from forcebridge_emulator._soql_plan import Context, Plan

__all__ = ["MAX_OFFSET", "FlatResult", "QueryResult", "RecordSource", "parse", "run_flat",
           "run_query"]


@dataclass
class QueryResult:
    """The whole answer to one query. `total_size` is what `totalSize` reports: the row count
    after OFFSET/LIMIT, or the count itself for `SELECT COUNT()` (then `rows` is empty)."""

    total_size: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    sobject: str = ""

    def __getitem__(self, key: str) -> Any:
        """Read like the wire body (`result["totalSize"]`, `result["records"]`)."""
        wire = {"totalSize": self.total_size, "records": self.rows, "done": True}
        return wire[key]


def _planned(
    org: RecordSource, soql: str, version: str, include_deleted: bool, now: datetime | None
) -> Plan:
    query = parse(soql)
    root = org.schema.get(query.sobject)
    if root is None or not root.queryable:
        raise query_error(
            "INVALID_TYPE",
            soql,
            query.sobject_pos,
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name. Please reference "
            "your WSDL or the describe call for the appropriate names.",
        )
    v = version.strip().lstrip("vV")
    ctx = Context(org, soql, today_utc(now), f"/services/data/v{v}/sobjects", include_deleted)
    return Plan(ctx, root, query)


def run_query(
    org: RecordSource,
    soql: str,
    *,
    version: str,
    include_deleted: bool = False,
    now: datetime | None = None,
) -> QueryResult:
    """Run `soql` against `org`; raises ApiError (400) exactly where Salesforce would.

    `version` ("57.0" or "v57.0") goes into each record's `attributes.url`; `include_deleted`
    is queryAll; `now` pins the clock for relative date literals (UTC days).
    """
    plan = _planned(org, soql, version, include_deleted, now)
    root, query = plan.obj, plan.query
    matched = plan.select(org.iter_records(root.name, include_deleted=include_deleted))
    if plan.aggregates:  # no GROUP BY: one AggregateResult row over every match
        return QueryResult(1, [plan.aggregate_row(matched)], root.name)
    picked = plan.page(matched)
    if query.count:
        return QueryResult(len(picked), [], root.name)
    return QueryResult(len(picked), [plan.shape(r, root.name) for r in picked], root.name)


@dataclass
class FlatResult:
    """A query of the object's own fields as a table: one list of values per record, in
    SELECT order (what a Bulk API 2.0 query writes as CSV, without shaping each record)."""

    fields: list[FieldDef]
    rows: list[tuple[Any, ...]]


def run_flat(
    org: RecordSource, soql: str, *, version: str, include_deleted: bool = False,
) -> FlatResult | None:
    """`run_query` for a query that selects only fields of the queried object itself, its
    values copied as it runs (a snapshot); None for any other query (run it with
    `run_query`). Raises ApiError as `run_query` does."""
    plan = _planned(org, soql, version, include_deleted, None)
    fields = plan.own_fields()
    if fields is None or plan.query.count:
        return None
    picked = plan.page(plan.select(
        org.iter_records(plan.obj.name, include_deleted=include_deleted)))
    names = [f.name for f in fields]
    if len(names) > 1:  # a tuple per record, in C; a record without one of the fields: .get
        get = itemgetter(*names)
        try:
            return FlatResult(fields, list(map(get, picked)))
        except KeyError:
            pass
    return FlatResult(fields, [tuple(map(r.get, names)) for r in picked])
