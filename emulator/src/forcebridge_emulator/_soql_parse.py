"""SOQL text -> a small syntax tree, refusing anything outside the emulator's subset.

Parsing is separate from binding (`soql_eval.py`) and running (`soql.py`) so the grammar can
be tested on its own and a query is parsed whole before any record is read. Every refusal
is the `ApiError` a real org sends: `MALFORMED_QUERY` with the offending row echoed back, a
caret under the column and `unexpected token: 'X'` (see `soql_lex.query_error`).

Subset: SELECT field paths (parent relationships `Account.Name`), child subqueries
(`(SELECT LastName FROM Contacts)`), `COUNT(field) [alias]`, or `COUNT()`, FROM one object,
WHERE (= != <> < <= > >= LIKE IN, NOT IN, AND, OR, NOT, parentheses), ORDER BY with ASC/DESC and
NULLS FIRST/LAST, LIMIT and OFFSET. Literals: strings with SOQL escapes, numbers, true/false,
null, dates, datetimes and relative date literals (`TODAY`, `LAST_N_DAYS:7`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._soql_lex import Token, TokenKind, query_error, tokenize, unexpected
from forcebridge_emulator._soql_lex import decode_string as _decode

MAX_OFFSET = 2000

# Words that can never be a field or object name in our grammar.
KEYWORDS = frozenset(
    "select from where and or not in like null true false order by asc desc nulls first last "
    "limit offset group having with for using typeof includes excludes".split()
)

_CLAUSE_WORDS = frozenset("select from where limit offset group having with for using".split())

# Relative date literals: plain ones, and `NAME:n` ones.
DATE_LITERALS = frozenset(
    "YESTERDAY TODAY TOMORROW LAST_WEEK THIS_WEEK NEXT_WEEK LAST_MONTH THIS_MONTH NEXT_MONTH "
    "LAST_90_DAYS NEXT_90_DAYS THIS_QUARTER LAST_QUARTER NEXT_QUARTER THIS_YEAR LAST_YEAR "
    "NEXT_YEAR".split()
)
DATE_LITERALS_N = frozenset(
    "LAST_N_DAYS NEXT_N_DAYS N_DAYS_AGO LAST_N_WEEKS NEXT_N_WEEKS N_WEEKS_AGO LAST_N_MONTHS "
    "NEXT_N_MONTHS N_MONTHS_AGO LAST_N_QUARTERS NEXT_N_QUARTERS N_QUARTERS_AGO LAST_N_YEARS "
    "NEXT_N_YEARS N_YEARS_AGO".split()
)

# ---- the syntax tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldPath:
    """`Name` or `Account.Owner.Email`, as typed, with its position for error carets."""

    parts: tuple[str, ...]
    pos: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Value:
    """One literal. `kind` is string, number, boolean, null, date, datetime, date_literal or
    name (a bare word, refused when binding);
    `raw` keeps a string's undecoded body because LIKE decodes `\\%` and `\\_` differently."""

    kind: str
    raw: str
    pos: int
    n: int | None = None  # the `n` of `LAST_N_DAYS:n`


@dataclass(frozen=True)
class Comparison:
    field: FieldPath
    op: str  # = != < <= > >= like in notin
    values: tuple[Value, ...]  # one value, or the IN list


@dataclass(frozen=True)
class Not:
    expr: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple[Expr, ...]


Expr = Comparison | Not | BoolOp


@dataclass(frozen=True)
class OrderItem:
    field: FieldPath
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Aggregate:
    """`COUNT(Id)` or `COUNT(Id) n`: one AggregateResult column (`expr0` unless aliased)."""

    function: str  # "count"
    field: FieldPath
    alias: str | None
    pos: int


@dataclass
class SubQuery:
    """`(SELECT ... FROM Contacts ...)`: child records through a child relationship."""

    query: Query
    pos: int


@dataclass
class Query:
    sobject: str
    sobject_pos: int
    fields: list[SelectItem] = field(default_factory=list)
    count: bool = False  # SELECT COUNT()
    where: Expr | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    text: str = ""


SelectItem = FieldPath | Aggregate | SubQuery


def decode_string(soql: str, value: Value, *, like: bool = False) -> str:
    """The text of a string literal (see `soql_lex.decode_string`)."""
    return _decode(soql, value.raw, value.pos, like=like)


# ---- parser ---------------------------------------------------------------------------------


class _Parser:
    def __init__(self, soql: str) -> None:
        self.soql = soql
        self.tokens = tokenize(soql)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, ahead: int) -> str:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)].kind

    def advance(self) -> Token:
        t = self.tokens[self.i]
        if t.kind != "EOF":
            self.i += 1
        return t

    def fail(self, tok: Token | None = None) -> ApiError:
        return unexpected(self.soql, tok or self.tok)

    def expect_word(self, word: str) -> Token:
        if not self.tok.is_word(word):
            raise self.fail()
        return self.advance()

    def expect(self, kind: TokenKind) -> Token:
        if self.tok.kind != kind:
            raise self.fail()
        return self.advance()

    def accept_word(self, word: str) -> bool:
        if self.tok.is_word(word):
            self.advance()
            return True
        return False

    def name(self, *, reserved: frozenset[str] = KEYWORDS) -> Token:
        t = self.tok
        if t.kind != "IDENT" or t.text.lower() in reserved:
            raise self.fail()
        return self.advance()

    # query := SELECT items FROM name [WHERE cond] [ORDER BY ...] [LIMIT n] [OFFSET n]
    def query(self, *, nested: bool = False) -> Query:
        self.expect_word("select")
        fields, count = self.select_list(nested)
        self.expect_word("from")
        obj = self.name(reserved=_CLAUSE_WORDS)  # `FROM Order` is a real object
        q = Query(sobject=obj.text, sobject_pos=obj.pos, fields=fields, count=count)
        q.text = self.soql
        if self.accept_word("where"):
            q.where = self.condition()
        if self.tok.is_word("order"):
            self.advance()
            self.expect_word("by")
            q.order_by = self.order_list()
        if self.accept_word("limit"):
            q.limit = self.integer()
        if self.tok.is_word("offset"):
            self.advance()
            tok = self.tok
            q.offset = self.integer()
            if q.offset > MAX_OFFSET:
                # Documented in "OFFSET" (SOQL reference); wording as orgs answer it.
                raise query_error(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    self.soql,
                    tok.pos,
                    f"Maximum SOQL offset allowed is {MAX_OFFSET}",
                )
        if self.tok.kind != ("RPAREN" if nested else "EOF"):
            raise self.fail()
        return q

    def select_list(self, nested: bool) -> tuple[list[SelectItem], bool]:
        if self.tok.is_word("count") and self.peek(1) == "LPAREN" and self.peek(2) == "RPAREN":
            for _ in range(3):
                self.advance()
            return [], True
        items = [self.select_item(nested)]
        while self.tok.kind == "COMMA":
            self.advance()
            items.append(self.select_item(nested))
        return items, False

    def select_item(self, nested: bool) -> SelectItem:
        t = self.tok
        if t.kind == "LPAREN" and not nested:
            self.advance()
            sub = self.query(nested=True)
            self.expect("RPAREN")
            return SubQuery(sub, t.pos)
        if t.is_word("count") and self.peek(1) == "LPAREN":
            self.advance()
            self.advance()
            path = self.path()
            self.expect("RPAREN")
            alias = None
            if self.tok.kind == "IDENT" and self.tok.text.lower() not in KEYWORDS:
                alias = self.advance().text
            return Aggregate("count", path, alias, t.pos)
        return self.path()

    def path(self) -> FieldPath:
        first = self.name()
        parts = [first.text]
        while self.tok.kind == "DOT":
            self.advance()
            parts.append(self.name().text)
        return FieldPath(tuple(parts), first.pos)

    def integer(self) -> int:
        t = self.tok
        if t.kind != "NUMBER" or not t.text.isdigit():
            raise self.fail()
        self.advance()
        return int(t.text)

    def order_list(self) -> list[OrderItem]:
        items: list[OrderItem] = []
        while True:
            path = self.path()
            desc = False
            if self.accept_word("desc"):
                desc = True
            else:
                self.accept_word("asc")
            nulls_last = False
            if self.accept_word("nulls"):
                if self.accept_word("last"):
                    nulls_last = True
                else:
                    self.expect_word("first")
            items.append(OrderItem(path, desc, nulls_last))
            if self.tok.kind != "COMMA":
                return items
            self.advance()

    # cond := unit (AND unit)* | unit (OR unit)*  -- mixing needs parentheses, as in SOQL.
    def condition(self) -> Expr:
        first = self.unit()
        if not (self.tok.is_word("and") or self.tok.is_word("or")):
            return first
        op = self.tok.text.lower()
        items = [first]
        while self.tok.is_word(op):
            self.advance()
            items.append(self.unit())
        if self.tok.is_word("and") or self.tok.is_word("or"):
            raise self.fail()
        return BoolOp(op, tuple(items))

    def unit(self) -> Expr:
        if self.accept_word("not"):
            return Not(self.unit())
        if self.tok.kind == "LPAREN":
            self.advance()
            inner = self.condition()
            self.expect("RPAREN")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        path = self.path()
        t = self.tok
        if t.kind == "OP":
            self.advance()
            op = "!=" if t.text == "<>" else t.text
            return Comparison(path, op, (self.value(),))
        if self.accept_word("like"):
            return Comparison(path, "like", (self.value(),))
        if t.is_word("not") and self.tokens[min(self.i + 1, len(self.tokens) - 1)].is_word("in"):
            self.advance()
            self.advance()
            return Comparison(path, "notin", self.value_list())
        if self.accept_word("in"):
            return Comparison(path, "in", self.value_list())
        raise self.fail()

    def value_list(self) -> tuple[Value, ...]:
        self.expect("LPAREN")
        values = [self.value()]
        while self.tok.kind == "COMMA":
            self.advance()
            values.append(self.value())
        self.expect("RPAREN")
        return tuple(values)

    def value(self) -> Value:
        t = self.tok
        if t.kind == "STRING":
            self.advance()
            return Value("string", t.text, t.pos)
        if t.kind == "NUMBER":
            self.advance()
            return Value("number", t.text, t.pos)
        if t.kind in ("DATE", "DATETIME"):
            self.advance()
            return Value(t.kind.lower(), t.text, t.pos)
        if t.kind == "IDENT":
            word = t.text.lower()
            if word in ("true", "false"):
                self.advance()
                return Value("boolean", word, t.pos)
            if word == "null":
                self.advance()
                return Value("null", word, t.pos)
            upper = t.text.upper()
            if upper in DATE_LITERALS:
                self.advance()
                return Value("date_literal", upper, t.pos)
            if upper in DATE_LITERALS_N:
                self.advance()
                self.expect("COLON")
                n = self.integer()
                return Value("date_literal", upper, t.pos, n)
            if word not in KEYWORDS:
                # The grammar takes a name here (Salesforce reports `a@b.com` at the `@`);
                # binding refuses it, as field-to-field comparison is not SOQL.
                return Value("name", self.path().text, t.pos)
        raise self.fail()


def parse(soql: str) -> Query:
    """Parse one SOQL statement, or raise ApiError(400, MALFORMED_QUERY, ...)."""
    return _Parser(soql).query()
