"""Binding a parsed query to the org's schema, and turning its WHERE into a fast predicate.

Binding is where the org answers INVALID_TYPE / INVALID_FIELD: every path is resolved against
the describe (case-insensitively), literals are checked against the field's type the way
Salesforce checks them (`value of filter criterion for field 'X' must be of type ...`), and the
result is plain closures, so evaluating 100k records costs one closure call per record.

Semantics follow SOQL, not SQL: string comparison ignores case, `!=` and NOT IN are true for
null values (there is no three-valued logic), and an empty string literal equals null.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from forcebridge_emulator import _ids as ids
from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._schema import FieldDef, Schema, SObjectDef
from forcebridge_emulator._soql_dates import (
    date_key,
    date_range,
    datetime_key,
    day_start_key,
    parse_date_literal,
    parse_datetime_literal,
)
from forcebridge_emulator._soql_parse import (
    BoolOp,
    Comparison,
    Expr,
    FieldPath,
    Not,
    Value,
    decode_string,
    query_error,
)

Record = dict[str, Any]
Predicate = Callable[[Record], bool]
Getter = Callable[[Record], Any]

TEXT_TYPES = frozenset(
    "string textarea email phone url picklist multipicklist combobox encryptedstring base64 "
    "time".split()
)
NUMBER_TYPES = {"int": "integer", "double": "double", "currency": "currency",
                "percent": "percent", "long": "long"}  # fmt: skip

_NO_COLUMN = (
    "No such column '{name}' on entity '{obj}'. If you are attempting to use a custom field, be "
    "sure to append the '__c' after the custom field name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
_NO_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)


class RecordSource(Protocol):
    """What evaluation needs from an org (`forcebridge_emulator._org.Org` provides it)."""

    @property
    def schema(self) -> Schema: ...

    def iter_records(
        self, sobject: str, *, include_deleted: bool = False
    ) -> Iterator[dict[str, Any]]: ...

    def record_by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None: ...


class ParentLookup:
    """Follows reference ids to parent records, once per id per query."""

    def __init__(self, source: RecordSource) -> None:
        self._source = source
        self._cache: dict[str, tuple[str, Record] | None] = {}

    def __call__(self, record_id: Any) -> tuple[str, Record] | None:
        if not record_id:
            return None
        key = str(record_id)
        try:
            return self._cache[key]
        except KeyError:
            found = self._source.record_by_id(key)
            self._cache[key] = found
            return found


@dataclass(frozen=True)
class BoundPath:
    """A resolved field path: the reference fields walked, then the field read."""

    hops: tuple[FieldDef, ...]  # reference fields, in order (empty for a plain field)
    field: FieldDef
    source: FieldPath

    @property
    def keys(self) -> tuple[str, ...]:
        """Output keys as Salesforce spells them: relationship names, then the field name."""
        return (*(h.relationship_name or h.name for h in self.hops), self.field.name)

    def getter(self, parents: ParentLookup) -> Getter:
        name = self.field.name
        if not self.hops:
            return lambda r: r.get(name)
        hops = tuple(h.name for h in self.hops)

        def get(r: Record) -> Any:
            cur: Record | None = r
            for hop in hops:
                found = parents(cur.get(hop)) if cur is not None else None
                cur = found[1] if found else None
            return cur.get(name) if cur is not None else None

        return get


class Binder:
    """Resolves paths and literals of one query against the schema."""

    def __init__(self, schema: Schema, root: SObjectDef, soql: str, today: date) -> None:
        self.schema = schema
        self.root = root
        self.soql = soql
        self.today = today

    def error(self, code: str, pos: int, message: str) -> ApiError:
        return query_error(code, self.soql, pos, message)

    def path(self, fp: FieldPath) -> BoundPath:
        parts = list(fp.parts)
        obj = self.root
        # `SELECT Account.Name FROM Account`: the object's own name may prefix a path.
        if (
            len(parts) > 1
            and parts[0].lower() == obj.name.lower()
            and not obj.relationship(parts[0])
        ):
            parts = parts[1:]
        hops: list[FieldDef] = []
        for part in parts[:-1]:
            ref = obj.relationship(part)
            target = self._target(ref) if ref is not None else None
            if ref is None or target is None:
                raise self.error("INVALID_FIELD", fp.pos, _NO_RELATIONSHIP.format(name=part))
            hops.append(ref)
            obj = target
        f = obj.field(parts[-1])
        if f is None:
            # On a parent path the entity named is the parent's (as in MuleSoft's captured
            # "No such column 'RecordTypeId' on entity 'Account'" for Account.RecordTypeId).
            msg = _NO_COLUMN.format(name=parts[-1], obj=obj.name)
            raise self.error("INVALID_FIELD", fp.pos, msg)
        return BoundPath(tuple(hops), f, fp)

    def _target(self, ref: FieldDef) -> SObjectDef | None:
        """The object a reference points to; for polymorphic owners (Group or User) the User,
        whose fields (Name, Email, ...) are the ones such paths are written for."""
        known = [o for o in (self.schema.get(t) for t in ref.reference_to) if o is not None]
        return next((o for o in known if o.name == "User"), known[0] if known else None)

    # ---- WHERE ------------------------------------------------------------------------------

    def predicate(self, expr: Expr, parents: ParentLookup) -> Predicate:
        if isinstance(expr, Not):
            inner = self.predicate(expr.expr, parents)
            return lambda r: not inner(r)
        if isinstance(expr, BoolOp):
            preds = [self.predicate(e, parents) for e in expr.items]
            if expr.op == "and":
                return lambda r: all(p(r) for p in preds)
            return lambda r: any(p(r) for p in preds)
        return self.comparison(expr, parents)

    def comparison(self, cmp: Comparison, parents: ParentLookup) -> Predicate:
        bound = self.path(cmp.field)
        f = bound.field
        if not f.filterable:
            raise self.error(
                "INVALID_FIELD",
                cmp.field.pos,
                f"field '{f.name}' can not be filtered in a query call",
            )
        get = bound.getter(parents)
        kind = field_kind(f)
        key = _KEYS[kind]
        if cmp.op == "like":
            return self._like(cmp, f, kind, get)
        if cmp.op in ("in", "notin"):
            wanted = [self.literal(v, f, kind) for v in cmp.values]
            if any(isinstance(w, tuple) for w in wanted):
                raise self.error("MALFORMED_QUERY", cmp.values[0].pos, "unexpected token: '('")
            values = frozenset(wanted)
            if cmp.op == "in":
                return lambda r: key(get(r)) in values
            return lambda r: key(get(r)) not in values
        lit = self.literal(cmp.values[0], f, kind)
        if isinstance(lit, tuple):
            return _range_predicate(cmp.op, lit, get, key)
        return _compare_predicate(cmp.op, lit, get, key)

    def _like(self, cmp: Comparison, f: FieldDef, kind: str, get: Getter) -> Predicate:
        value = cmp.values[0]
        if kind not in ("text", "id") or value.kind != "string":
            raise self.error(
                "INVALID_QUERY_FILTER_OPERATOR",
                cmp.field.pos if value.kind == "string" else value.pos,
                f"invalid operator on {f.type} field: {f.name}"
                if value.kind == "string"
                else _type_message(f, kind),
            )
        rx = like_regex(decode_string(self.soql, value, like=True))
        match = rx.fullmatch

        def pred(r: Record) -> bool:
            v = get(r)
            return v is not None and match(str(v)) is not None

        return pred

    def literal(self, v: Value, f: FieldDef, kind: str) -> Any:
        """A literal converted to the comparable form of the field's values; a relative date
        literal becomes a (start, end) key tuple."""
        if v.kind == "name":
            raise self.error("MALFORMED_QUERY", v.pos, f"unexpected token: '{v.raw}'")
        if v.kind == "null":
            return None
        if kind == "text" and v.kind == "string":
            text = decode_string(self.soql, v)
            return text.casefold() if text else None
        if kind == "id" and v.kind == "string":
            text = decode_string(self.soql, v)
            if not text:
                return None
            norm = ids.normalize(text)
            if norm is None:
                raise self.error(
                    "INVALID_QUERY_FILTER_OPERATOR", v.pos, f"invalid ID field: {text}"
                )
            return norm[:15]
        if kind == "boolean" and v.kind == "boolean":
            return v.raw == "true"
        if kind == "number" and v.kind == "number":
            return float(v.raw)
        if kind in ("date", "datetime") and v.kind == "date_literal":
            start, end = date_range(v.raw, v.n, self.today)
            if kind == "date":
                return (start.isoformat(), end.isoformat())
            return (day_start_key(start), day_start_key(end))
        try:
            if kind == "date" and v.kind == "date":
                return parse_date_literal(v.raw)
            if kind == "datetime" and v.kind == "datetime":
                return parse_datetime_literal(v.raw)
        except ValueError:
            raise self.error("MALFORMED_QUERY", v.pos, f"unexpected token: '{v.raw}'") from None
        raise self.error("INVALID_FIELD", v.pos, _type_message(f, kind))


def field_kind(f: FieldDef) -> str:
    """How a field's values compare: text, id, boolean, number, date or datetime."""
    t = f.type
    if t in ("id", "reference"):
        return "id"
    if t == "boolean":
        return "boolean"
    if t in NUMBER_TYPES:
        return "number"
    if t in ("date", "datetime"):
        return t
    return "text"


def _type_message(f: FieldDef, kind: str) -> str:
    if kind in ("text", "id"):
        return (
            f"value of filter criterion for field '{f.name}' must be of type "
            f"{'id' if kind == 'id' else 'string'} and should be enclosed in quotes"
        )
    type_name = {"datetime": "dateTime", "number": NUMBER_TYPES.get(f.type, f.type)}.get(kind, kind)
    return (
        f"value of filter criterion for field '{f.name}' must be of type {type_name} and "
        "should not be enclosed in quotes"
    )


def _text_key(v: Any) -> str | None:
    if v is None or v == "":
        return None
    return (v if isinstance(v, str) else str(v)).casefold()


def _id_key(v: Any) -> str | None:
    return str(v)[:15] if v else None


def _number_key(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _bool_key(v: Any) -> bool | None:
    return None if v is None else bool(v)


# Stored value -> the comparable form a literal was converted to.
_KEYS: dict[str, Callable[[Any], Any]] = {
    "text": _text_key,
    "id": _id_key,
    "number": _number_key,
    "boolean": _bool_key,
    "date": date_key,
    "datetime": datetime_key,
}


def sort_key(kind: str) -> Callable[[Any], Any]:
    return _KEYS[kind]


def _compare_predicate(op: str, lit: Any, get: Getter, key: Callable[[Any], Any]) -> Predicate:
    if op == "=":
        return lambda r: key(get(r)) == lit
    if op == "!=":
        return lambda r: key(get(r)) != lit
    if lit is None:
        return lambda r: False  # ordering against null matches nothing
    cmp: Callable[[Any, Any], bool] = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[op]

    def pred(r: Record) -> bool:
        v = key(get(r))
        return v is not None and cmp(v, lit)

    return pred


def _range_predicate(
    op: str, rng: tuple[str, str], get: Getter, key: Callable[[Any], Any]
) -> Predicate:
    start, end = rng
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: start <= v < end,
        "!=": lambda v: not (start <= v < end),
        "<": lambda v: v < start,
        "<=": lambda v: v < end,
        ">": lambda v: v >= end,
        ">=": lambda v: v >= start,
    }
    test = tests[op]
    null_result = op == "!="

    def pred(r: Record) -> bool:
        v = key(get(r))
        return null_result if v is None else test(v)

    return pred


def like_regex(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern (`%` any run, `_` one char, `\\%` `\\_` `\\\\` literal) as a regex.

    Case-insensitive, as SOQL's LIKE is; the whole value must match.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)
