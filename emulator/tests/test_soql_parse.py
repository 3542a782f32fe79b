"""The SOQL parser on its own: the grammar of the subset and the exact refusals.

Error shapes: CumulusCI's recorded cassette TestCountSObjects.test_count_sobjects__errors
(`\\n<query>\\n<caret>\\nERROR at Row:1:Column:21\\n<why>`); the `unexpected token: '<EOF>'`,
`unexpected token: '@'` wordings are the ones orgs return (Salesforce's "Quoted String Escape
Sequences", "OFFSET" and "Conditional Expressions" pages of the SOQL reference for the rules).
"""

from __future__ import annotations

import pytest

from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._soql_parse import (
    Aggregate,
    BoolOp,
    Comparison,
    FieldPath,
    Not,
    SubQuery,
    Value,
    decode_string,
    parse,
    tokenize,
)


def refused(soql: str) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse(soql)
    assert info.value.status == 400
    return info.value


def caret_block(soql_line: str, column: int, why: str) -> str:
    return f"\n{soql_line}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\n{why}"


# ---- what parses ----------------------------------------------------------------------------


def test_select_list_from_and_relationship_paths() -> None:
    q = parse("SELECT Id, Name, Account.Name, acme__Account__r.Owner.Email FROM Contact")
    assert q.sobject == "Contact"
    assert [f.parts for f in q.fields] == [
        ("Id",),
        ("Name",),
        ("Account", "Name"),
        ("acme__Account__r", "Owner", "Email"),
    ]
    assert q.fields[2].pos == len("SELECT Id, Name, ")
    assert not q.count and q.where is None and q.limit is None and q.offset is None


def test_keywords_are_case_insensitive() -> None:
    q = parse("select id from account where name = 'x' order by name desc nulls last limit 3")
    assert q.sobject == "account"
    assert q.limit == 3
    assert q.order_by[0].descending and q.order_by[0].nulls_last


def test_count() -> None:
    q = parse("SELECT COUNT() FROM Account WHERE Name != null LIMIT 5")
    assert q.count and q.fields == [] and q.limit == 5


def test_aggregate_count_with_and_without_alias() -> None:
    q = parse("SELECT COUNT(Id), COUNT(Email) n FROM Contact")
    assert q.fields == [
        Aggregate("count", FieldPath(("Id",), 13), None, 7),
        Aggregate("count", FieldPath(("Email",), 24), "n", 18),
    ]
    assert not q.count


def test_child_subquery() -> None:
    q = parse(
        "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != null LIMIT 2) FROM Account"
    )
    sub = q.fields[1]
    assert isinstance(sub, SubQuery) and sub.pos == len("SELECT Name, ")
    assert sub.query.sobject == "Contacts" and sub.query.limit == 2
    assert isinstance(sub.query.where, Comparison)
    assert q.sobject == "Account"


def test_order_by_defaults_and_multiple_keys() -> None:
    q = parse("SELECT Id FROM Account ORDER BY Name, CreatedDate DESC, Id ASC NULLS LAST")
    got = [(o.field.text, o.descending, o.nulls_last) for o in q.order_by]
    assert got == [("Name", False, False), ("CreatedDate", True, False), ("Id", False, True)]


def test_limit_and_offset() -> None:
    q = parse("SELECT Id FROM Account LIMIT 10 OFFSET 2000")
    assert (q.limit, q.offset) == (10, 2000)


def test_where_and_chain_is_flat() -> None:
    q = parse("SELECT Id FROM Account WHERE A = 1 AND B = 2 AND C = 3")
    assert isinstance(q.where, BoolOp) and q.where.op == "and" and len(q.where.items) == 3


def test_parentheses_and_not_nest() -> None:
    q = parse(
        "SELECT Id FROM Account WHERE (A = 1 OR B = 2) AND NOT (C = 3 OR D = 4) AND NOT E = 5"
    )
    assert isinstance(q.where, BoolOp)
    first, second, third = q.where.items
    assert isinstance(first, BoolOp) and first.op == "or"
    assert isinstance(second, Not) and isinstance(second.expr, BoolOp)
    assert isinstance(third, Not) and isinstance(third.expr, Comparison)


@pytest.mark.parametrize(
    ("op_text", "op"),
    [("=", "="), ("!=", "!="), ("<>", "!="), ("<", "<"), ("<=", "<="), (">", ">"), (">=", ">=")],
)
def test_comparison_operators(op_text: str, op: str) -> None:
    q = parse(f"SELECT Id FROM Account WHERE NumberOfEmployees {op_text} 5")
    assert isinstance(q.where, Comparison)
    assert q.where.op == op
    assert q.where.values == (Value("number", "5", q.where.values[0].pos),)


def test_in_not_in_and_like() -> None:
    q = parse(
        "SELECT Id FROM Account WHERE Name IN ('a', 'b') AND Id NOT IN ('c') AND Name LIKE 'x%'"
    )
    assert isinstance(q.where, BoolOp)
    ops = [c.op for c in q.where.items if isinstance(c, Comparison)]
    assert ops == ["in", "notin", "like"]
    first = q.where.items[0]
    assert isinstance(first, Comparison) and [v.raw for v in first.values] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "kind", "raw"),
    [
        ("'hello'", "string", "hello"),
        ("42", "number", "42"),
        ("-3.25", "number", "-3.25"),
        ("TRUE", "boolean", "true"),
        ("false", "boolean", "false"),
        ("NULL", "null", "null"),
        ("2024-01-31", "date", "2024-01-31"),
        ("2024-01-31T10:00:00Z", "datetime", "2024-01-31T10:00:00Z"),
        ("2024-01-31T10:00:00+05:30", "datetime", "2024-01-31T10:00:00+05:30"),
        ("2024-01-31T10:00:00-08:00", "datetime", "2024-01-31T10:00:00-08:00"),
        ("2024-01-31T10:00:00.123Z", "datetime", "2024-01-31T10:00:00.123Z"),
        ("today", "date_literal", "TODAY"),
        ("THIS_MONTH", "date_literal", "THIS_MONTH"),
    ],
)
def test_literals(text: str, kind: str, raw: str) -> None:
    q = parse(f"SELECT Id FROM Account WHERE X__c = {text}")
    assert isinstance(q.where, Comparison)
    value = q.where.values[0]
    assert (value.kind, value.raw) == (kind, raw)


def test_date_literal_with_n() -> None:
    q = parse("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:30")
    assert isinstance(q.where, Comparison)
    assert q.where.values[0].raw == "LAST_N_DAYS" and q.where.values[0].n == 30


def test_from_accepts_an_object_named_like_a_keyword() -> None:
    assert parse("SELECT Id FROM Order").sobject == "Order"


# ---- string escapes (SOQL reference: "Quoted String Escape Sequences") -----------------------


def _string_value(soql: str) -> str:
    q = parse(soql)
    assert isinstance(q.where, Comparison)
    return decode_string(soql, q.where.values[0])


@pytest.mark.parametrize(
    ("body", "decoded"),
    [
        (r"O\'Brien", "O'Brien"),
        (r"say \"hi\"", 'say "hi"'),
        (r"back\\slash", "back\\slash"),
        (r"a\nb\Nc", "a\nb\nc"),
        (r"a\rb\Rc", "a\rb\rc"),
        (r"a\tb\Tc", "a\tb\tc"),
        (r"a\bb\Bc", "a\bb\bc"),
        (r"a\fb\Fc", "a\fb\fc"),
        (r"caf\u00e9", "café"),
        ("plain % and _", "plain % and _"),
    ],
)
def test_string_escapes(body: str, decoded: str) -> None:
    assert _string_value(f"SELECT Id FROM Account WHERE Name = '{body}'") == decoded


def test_like_escapes_keep_wildcards_escaped() -> None:
    soql = r"SELECT Id FROM Account WHERE Name LIKE 'Ter\%\_x%'"
    q = parse(soql)
    assert isinstance(q.where, Comparison)
    assert decode_string(soql, q.where.values[0], like=True) == r"Ter\%\_x%"


@pytest.mark.parametrize("body", [r"bad\q", r"100\%", r"a\_b", r"\u12"])
def test_other_backslashes_are_refused(body: str) -> None:
    soql = f"SELECT Id FROM Account WHERE Name = '{body}'"
    with pytest.raises(ApiError) as info:
        _string_value(soql)
    assert info.value.error_code == "MALFORMED_QUERY"
    assert "Illegal character sequence" in info.value.message


# ---- refusals -------------------------------------------------------------------------------


def test_eof_error_matches_salesforce() -> None:
    err = refused("SELECT Id FROM Account WHERE")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message == caret_block(
        "SELECT Id FROM Account WHERE", 29, "unexpected token: '<EOF>'"
    )
    assert err.body() == [{"message": err.message, "errorCode": "MALFORMED_QUERY"}]


def test_unexpected_word_points_at_it() -> None:
    err = refused("SELECT Id, FROM Account")
    assert err.message == caret_block("SELECT Id, FROM Account", 12, "unexpected token: 'FROM'")


def test_bad_character_is_reported_where_it_stands() -> None:
    soql = "SELECT Id FROM Contact WHERE Email = liam.carter@example.com"
    err = refused(soql)
    assert err.message.endswith("unexpected token: '@'")
    assert f"Column:{soql.index('@') + 1}\n" in err.message


def test_mixing_and_or_without_parentheses_is_refused() -> None:
    soql = "SELECT Id FROM Contact WHERE A = 'x' AND B = 'y' OR C = 'z'"
    err = refused(soql)
    assert err.message == caret_block(soql, soql.index(" OR ") + 2, "unexpected token: 'OR'")


@pytest.mark.parametrize(
    ("soql", "token"),
    [
        ("SELECT FROM Account", "FROM"),
        ("SELECT Id Account", "Account"),
        ("SELECT Id FROM", "<EOF>"),
        ("SELECT Id FROM Account a", "a"),
        ("SELECT Id FROM Account WHERE Name", "<EOF>"),
        ("SELECT Id FROM Account WHERE Name = ", "<EOF>"),
        ("SELECT Id FROM Account WHERE Name IN ()", ")"),
        ("SELECT Id FROM Account WHERE Name NOT LIKE 'x'", "NOT"),
        ("SELECT Id FROM Account WHERE (Name = 'x'", "<EOF>"),
        ("SELECT Id FROM Account ORDER Name", "Name"),
        ("SELECT Id FROM Account ORDER BY Name NULLS", "<EOF>"),
        ("SELECT Id FROM Account LIMIT x", "x"),
        ("SELECT Id FROM Account LIMIT -1", "-1"),
        ("SELECT Id FROM Account LIMIT 1.5", "1.5"),
        ("SELECT Id FROM Account OFFSET 1 LIMIT 5", "LIMIT"),
        ("SELECT Id FROM Account GROUP BY Name", "GROUP"),
        ("SELECT Id, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts) FROM Account", "("),
        ("SELECT Id, (SELECT Id FROM Contacts FROM Account", "FROM"),
        ("SELECT SUM(Amount) FROM Opportunity", "("),
        ("SELECT COUNT(Id) FROM Account GROUP BY Name", "GROUP"),
        ("SELECT Id, COUNT() FROM Account", ")"),
        ("SELECT COUNT(), Id FROM Account", ","),
        ("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)", "SELECT"),
        ("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS", "<EOF>"),
        ("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:x", "x"),
        ("SELECT Id FROM Account; DELETE FROM Account", ";"),
        ("DELETE FROM Account", "DELETE"),
        ("", "<EOF>"),
    ],
)
def test_malformed(soql: str, token: str) -> None:
    err = refused(soql)
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith(f"\nunexpected token: '{token}'")


def test_unterminated_string() -> None:
    soql = "SELECT Id FROM Account WHERE Name = 'abc"
    err = refused(soql)
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message == caret_block(
        soql, len(soql) + 1, f"line 1:{len(soql)} mismatched character '<EOF>' expecting '''"
    )


def test_offset_above_2000_is_number_outside_valid_range() -> None:
    # SOQL reference, OFFSET: "Requesting an offset greater than 2,000 results in a
    # NUMBER_OUTSIDE_VALID_RANGE error."
    err = refused("SELECT Id FROM Account LIMIT 5 OFFSET 2001")
    assert err.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert err.message.endswith("\nMaximum SOQL offset allowed is 2000")


def test_multi_line_query_reports_row_and_column_of_that_row() -> None:
    soql = "SELECT Id\nFROM Account\nWHERE Name = 'a' AND Id = 'b' OR Id = 'c'"
    err = refused(soql)
    line = soql.split("\n")[2]
    col = line.index(" OR ") + 2
    assert (
        err.message
        == f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:3:Column:{col}\nunexpected token: 'OR'"
    )


# ---- injection: a properly escaped value stays one literal ---------------------------------


def soql_quote(value: str) -> str:
    """How a client escapes a value (SOQL reference, "Reserved Characters")."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.mark.parametrize(
    "evil",
    [
        "x' OR Name != '",
        "x\\' OR Name != \\'",
        "') OR (Name LIKE '%",
        "\\",
        "'; DELETE FROM Account; --",
        "a\\' OR \\'1\\'=\\'1",
    ],
)
def test_escaped_value_stays_one_literal(evil: str) -> None:
    soql = f"SELECT Id FROM Account WHERE Name = {soql_quote(evil)} LIMIT 1"
    q = parse(soql)
    assert isinstance(q.where, Comparison)
    assert q.where.field == FieldPath(("Name",), q.where.field.pos)
    assert decode_string(soql, q.where.values[0]) == evil
    assert q.limit == 1


@pytest.mark.parametrize(
    "evil",
    ["x' OR Name != 'y'", "x' OR Name LIKE '%'", "') OR ('1' = '1", "x' LIMIT 1 --", "x'"],
)
def test_unescaped_quote_is_malformed(evil: str) -> None:
    # An odd number of bare quotes leaves a string open or a stray token: never a new query.
    soql = f"SELECT Id FROM Account WHERE Name = '{evil}'"
    err = refused(soql)
    assert err.error_code == "MALFORMED_QUERY"


def test_backslash_before_closing_quote_does_not_close_the_string() -> None:
    # A value ending in a lone backslash escapes the closing quote: refused, not reinterpreted.
    err = refused("SELECT Id FROM Account WHERE Name = 'abc\\' OR Name != 'x'")
    assert err.error_code == "MALFORMED_QUERY"


def test_tokenizer_keeps_positions() -> None:
    toks = tokenize("SELECT Id FROM Account WHERE Name='a'")
    assert [(t.kind, t.text, t.pos) for t in toks[-4:]] == [
        ("IDENT", "Name", 29),
        ("OP", "=", 33),
        ("STRING", "a", 34),
        ("EOF", "", 37),
    ]
