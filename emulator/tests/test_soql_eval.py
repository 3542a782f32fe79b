"""run_query against a real emulator Org: filtering, ordering, shaping and refusals.

Row shapes: restforce's fixture sobject/query_success_response.json (parent under `__r` with its
own `attributes`) and NetCoreForce's captured query_case_result.json / count_query.json.
Semantics not in a recording follow the SOQL reference: "Comparison Operators" (LIKE is
case-insensitive, `%` and `_` wildcards), "ORDER BY" ("By default, null values are sorted
first"; sorting is case insensitive), "Date Formats and Date Literals in WHERE".
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import pytest

from forcebridge_emulator._config import FieldConfig, ObjectConfig, OrgConfig
from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._org import Org
from forcebridge_emulator._soql import QueryResult, run_query
from forcebridge_emulator._soql_dates import date_range
from forcebridge_emulator._soql_parse import DATE_LITERALS, DATE_LITERALS_N

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)  # a Wednesday


def gadget_org() -> Org:
    return Org(
        OrgConfig(
            objects=[
                ObjectConfig(
                    "Gadget__c",
                    fields=[
                        FieldConfig("Label__c", "string", length=80),
                        FieldConfig("Count__c", "int", precision=9),
                        FieldConfig("Price__c", "currency", precision=16, scale=2),
                        FieldConfig("Active__c", "boolean"),
                        FieldConfig("Seen_At__c", "datetime"),
                        FieldConfig("Due__c", "date"),
                        FieldConfig("Kind__c", "picklist", picklist_values=["A", "B", "C"]),
                        FieldConfig("Notes__c", "textarea"),
                        FieldConfig(
                            "Account__c",
                            "reference",
                            reference_to=["Account"],
                            relationship_name="Account__r",
                        ),
                    ],
                )
            ]
        )
    )


@pytest.fixture
def org() -> Org:
    o = gadget_org()
    acme = _insert(o, "Account", Name="Acme", Industry="Technology")
    _insert(o, "Gadget__c", Name="alpha", Label__c="Red", Count__c=3, Price__c=10.5,
            Active__c=True, Seen_At__c="2024-05-15T08:00:00Z", Due__c="2024-05-15",
            Kind__c="A", Account__c=acme)  # fmt: skip
    _insert(o, "Gadget__c", Name="Beta", Label__c="red", Count__c=20, Price__c=2,
            Active__c=False, Seen_At__c="2024-05-14T23:59:59Z", Due__c="2024-05-14",
            Kind__c="B")  # fmt: skip
    _insert(o, "Gadget__c", Name="gamma", Count__c=100, Active__c=True,
            Seen_At__c="2024-04-30T10:00:00Z", Due__c="2024-06-01", Kind__c="C",
            Account__c=acme)  # fmt: skip
    _insert(o, "Gadget__c", Name="delta_1%")
    return o


def _insert(o: Org, sobject: str, **values: Any) -> str:
    result = o.insert(sobject, values)
    assert result.success, result.errors
    assert result.id is not None
    return result.id


def q(o: Org, soql: str, **kw: Any) -> QueryResult:
    return run_query(o, soql, version="57.0", now=NOW, **kw)


def names(o: Org, where: str, order: str = "Name") -> list[str]:
    result = q(o, f"SELECT Name FROM Gadget__c WHERE {where} ORDER BY {order}")
    return [r["Name"] for r in result.rows]


def refused(o: Org, soql: str) -> ApiError:
    with pytest.raises(ApiError) as info:
        q(o, soql)
    assert info.value.status == 400
    return info.value


# ---- shape ----------------------------------------------------------------------------------


def test_rows_are_shaped_like_salesforce(org: Org) -> None:
    result = q(
        org, "SELECT id, name, count__c, ACCOUNT__R.name FROM gadget__c WHERE Name = 'alpha'"
    )
    assert result.total_size == 1
    row = result.rows[0]
    gid = row["Id"]
    acme = org.iter_records("Account").__next__()["Id"]
    assert row == {
        "attributes": {
            "type": "Gadget__c",
            "url": f"/services/data/v57.0/sobjects/Gadget__c/{gid}",
        },
        "Id": gid,
        "Name": "alpha",
        "Count__c": 3,
        "Account__r": {
            "attributes": {
                "type": "Account",
                "url": f"/services/data/v57.0/sobjects/Account/{acme}",
            },
            "Name": "Acme",
        },
    }
    assert list(row) == ["attributes", "Id", "Name", "Count__c", "Account__r"]
    assert result["totalSize"] == 1 and result["records"] == result.rows


def test_empty_reference_gives_null_parent(org: Org) -> None:
    rows = q(
        org, "SELECT Name, Account__r.Name, Account__r.Industry FROM Gadget__c WHERE Name = 'Beta'"
    ).rows
    assert rows[0]["Account__r"] is None


def test_parent_fields_group_under_one_key_at_first_position(org: Org) -> None:
    row = q(
        org, "SELECT Account__r.Name, Name, Account__r.Industry FROM Gadget__c WHERE Name = 'alpha'"
    ).rows[0]
    assert list(row) == ["attributes", "Account__r", "Name"]
    assert list(row["Account__r"]) == ["attributes", "Name", "Industry"]
    assert row["Account__r"]["Industry"] == "Technology"


def test_two_level_and_standard_relationships() -> None:
    o = Org.demo()
    acme = _insert(o, "Account", Name="Acme")
    _insert(o, "Contact", LastName="Smith", AccountId=acme)
    row = q(o, "SELECT LastName, Account.Name, Account.Owner.Email, Owner.Email FROM Contact").rows[
        0
    ]
    assert row["Account"]["Name"] == "Acme"
    assert row["Account"]["Owner"]["attributes"]["type"] == "User"
    assert row["Account"]["Owner"]["Email"] == "demo@forcebridge.example"
    assert row["Owner"]["Email"] == "demo@forcebridge.example"


def test_polymorphic_owner_resolves_to_the_user_record() -> None:
    o = Org.demo()
    _insert(o, "Case", Subject="Broken")
    row = q(o, "SELECT Subject, Owner.Name, Owner.Email FROM Case WHERE Owner.Email != null").rows[
        0
    ]
    assert row["Owner"]["attributes"]["type"] == "User"
    assert (row["Owner"]["Name"], row["Owner"]["Email"]) == (
        "Demo User",
        "demo@forcebridge.example",
    )


def test_object_name_may_prefix_a_field(org: Org) -> None:
    rows = q(org, "SELECT Gadget__c.Name FROM Gadget__c WHERE Gadget__c.Name = 'Beta'").rows
    assert [list(r) for r in rows] == [["attributes", "Name"]]


@pytest.mark.parametrize("version", ["57.0", "v57.0"])
def test_version_in_url(org: Org, version: str) -> None:
    row = run_query(org, "SELECT Id FROM Gadget__c LIMIT 1", version=version).rows[0]
    assert row["attributes"]["url"].startswith("/services/data/v57.0/sobjects/Gadget__c/")


def test_count(org: Org) -> None:
    assert q(org, "SELECT COUNT() FROM Gadget__c").total_size == 4
    result = q(org, "SELECT COUNT() FROM Gadget__c WHERE Active__c = true")
    assert (result.total_size, result.rows) == (2, [])
    assert q(org, "SELECT COUNT() FROM Gadget__c LIMIT 3").total_size == 3
    assert q(org, "SELECT COUNT() FROM Gadget__c WHERE Name = 'none'").total_size == 0


def test_without_order_by_rows_come_in_creation_order(org: Org) -> None:
    rows = q(org, "SELECT Name FROM Gadget__c").rows
    assert [r["Name"] for r in rows] == ["alpha", "Beta", "gamma", "delta_1%"]


def test_count_of_a_field_is_an_aggregate_result(org: Org) -> None:
    # restforce fixture query_aggregate_success_response.json; CumulusCI records
    # `select count(Id) from Account` answered the same way.
    result = q(org, "SELECT COUNT(Id), COUNT(Label__c) labelled FROM Gadget__c WHERE Name != 'x'")
    assert result.total_size == 1
    assert result.rows == [{"attributes": {"type": "AggregateResult"}, "expr0": 4, "labelled": 2}]
    assert q(org, "SELECT COUNT(Id) FROM Gadget__c WHERE Name = 'none'").rows[0]["expr0"] == 0


def test_aggregate_mixed_with_a_field_needs_group_by(org: Org) -> None:
    err = refused(org, "SELECT Name, COUNT(Id) FROM Gadget__c")
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message.endswith("\nField must be grouped or aggregated: Name")


def test_child_subquery_rows() -> None:
    o = Org.demo()
    acme = _insert(o, "Account", Name="Acme")
    _insert(o, "Account", Name="Lonely")
    for last in ("Zed", "Adams", "Moe"):
        _insert(o, "Contact", LastName=last, AccountId=acme)
    rows = q(
        o,
        "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != 'Moe' ORDER BY LastName) "
        "FROM Account ORDER BY Name",
    ).rows
    acme_row, lonely_row = rows
    assert list(acme_row) == ["attributes", "Name", "Contacts"]
    contacts = acme_row["Contacts"]
    assert contacts["totalSize"] == 2 and contacts["done"] is True
    assert [c["LastName"] for c in contacts["records"]] == ["Adams", "Zed"]
    assert contacts["records"][0]["attributes"]["type"] == "Contact"
    # CumulusCI TestUpsert cassettes: a parent without children answers `null`.
    assert lonely_row["Contacts"] is None


def test_child_subquery_limit_applies_per_parent() -> None:
    o = Org.demo()
    for name in ("A", "B"):
        acc = _insert(o, "Account", Name=name)
        for i in range(3):
            _insert(o, "Contact", LastName=f"{name}{i}", AccountId=acc)
    rows = q(
        o, "SELECT (SELECT LastName FROM contacts ORDER BY LastName DESC LIMIT 2) FROM Account"
    ).rows
    assert [[c["LastName"] for c in r["Contacts"]["records"]] for r in rows] == [
        ["A2", "A1"],
        ["B2", "B1"],
    ]


def test_unknown_child_relationship(org: Org) -> None:
    err = refused(org, "SELECT Name, (SELECT Id FROM Gizmos__r) FROM Gadget__c")
    assert err.error_code == "INVALID_TYPE"
    assert "Didn't understand relationship 'Gizmos__r' in FROM part of query call." in err.message
    assert "ERROR at Row:1:Column:30\n" in err.message


# ---- WHERE ----------------------------------------------------------------------------------


def test_text_equality_is_case_insensitive(org: Org) -> None:
    assert names(org, "Label__c = 'RED'") == ["alpha", "Beta"]
    assert names(org, "Name = 'ALPHA'") == ["alpha"]


def test_not_equal_includes_nulls(org: Org) -> None:
    assert names(org, "Label__c != 'red'") == ["delta_1%", "gamma"]
    assert names(org, "Label__c <> 'red'") == ["delta_1%", "gamma"]


def test_null_comparisons(org: Org) -> None:
    assert names(org, "Label__c = null") == ["delta_1%", "gamma"]
    assert names(org, "Label__c != null") == ["alpha", "Beta"]
    assert names(org, "Label__c = ''") == ["delta_1%", "gamma"]
    assert names(org, "Account__c = null") == ["Beta", "delta_1%"]
    assert names(org, "Count__c > null") == []


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Count__c = 20", ["Beta"]),
        ("Count__c != 20", ["alpha", "delta_1%", "gamma"]),
        ("Count__c < 20", ["alpha"]),
        ("Count__c <= 20", ["alpha", "Beta"]),
        ("Count__c > 20", ["gamma"]),
        ("Count__c >= 20", ["Beta", "gamma"]),
        ("Count__c > 3.5", ["Beta", "gamma"]),
        ("Price__c >= 2.0", ["alpha", "Beta"]),
        ("Price__c < -1", []),
        ("Count__c IN (3, 100)", ["alpha", "gamma"]),
        ("Count__c NOT IN (3, 100)", ["Beta", "delta_1%"]),
    ],
)
def test_number_operators(org: Org, where: str, expected: list[str]) -> None:
    assert names(org, where) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name > 'beta'", ["delta_1%", "gamma"]),
        ("Name >= 'BETA'", ["Beta", "delta_1%", "gamma"]),
        ("Name < 'b'", ["alpha"]),
        ("Name <= 'alpha'", ["alpha"]),
        ("Name IN ('ALPHA', 'gamma', 'nope')", ["alpha", "gamma"]),
        ("Name NOT IN ('ALPHA', 'gamma')", ["Beta", "delta_1%"]),
        ("Label__c NOT IN ('red')", ["delta_1%", "gamma"]),
        ("Label__c IN ('red', null)", ["alpha", "Beta", "delta_1%", "gamma"]),
        ("Kind__c = 'b'", ["Beta"]),
    ],
)
def test_text_operators(org: Org, where: str, expected: list[str]) -> None:
    assert names(org, where) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name LIKE 'a%'", ["alpha"]),
        ("Name LIKE '%A'", ["alpha", "Beta", "gamma"]),
        ("Name LIKE '%mm%'", ["gamma"]),
        ("Name LIKE '_eta'", ["Beta"]),
        ("Name LIKE 'bet'", []),
        ("Name LIKE 'delta\\_1\\%'", ["delta_1%"]),
        ("Name LIKE 'delta_1%'", ["delta_1%"]),
        ("Name LIKE 'delta\\%'", []),
        ("Label__c LIKE '%'", ["alpha", "Beta"]),
        ("NOT Name LIKE 'a%'", ["Beta", "delta_1%", "gamma"]),
    ],
)
def test_like(org: Org, where: str, expected: list[str]) -> None:
    assert names(org, where) == expected


def test_booleans(org: Org) -> None:
    assert names(org, "Active__c = true") == ["alpha", "gamma"]
    assert names(org, "Active__c = FALSE") == ["Beta", "delta_1%"]
    assert names(org, "Active__c != true") == ["Beta", "delta_1%"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Due__c = 2024-05-15", ["alpha"]),
        ("Due__c > 2024-05-14", ["alpha", "gamma"]),
        ("Due__c <= 2024-05-15", ["alpha", "Beta"]),
        ("Due__c != 2024-05-15", ["Beta", "delta_1%", "gamma"]),
        ("Due__c = TODAY", ["alpha"]),
        ("Due__c = YESTERDAY", ["Beta"]),
        ("Due__c = TOMORROW", []),
        ("Due__c > TODAY", ["gamma"]),
        ("Due__c < TODAY", ["Beta"]),
        ("Due__c >= TODAY", ["alpha", "gamma"]),
        ("Due__c <= TODAY", ["alpha", "Beta"]),
        ("Due__c = THIS_MONTH", ["alpha", "Beta"]),
        ("Due__c = NEXT_MONTH", ["gamma"]),
        ("Due__c = LAST_N_DAYS:1", ["alpha", "Beta"]),
        ("Due__c = NEXT_N_DAYS:30", ["gamma"]),
        ("Due__c = THIS_WEEK", ["alpha", "Beta"]),
        ("Due__c = THIS_YEAR", ["alpha", "Beta", "gamma"]),
        ("Due__c != THIS_YEAR", ["delta_1%"]),
    ],
)
def test_dates(org: Org, where: str, expected: list[str]) -> None:
    assert names(org, where) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Seen_At__c = 2024-05-15T08:00:00Z", ["alpha"]),
        ("Seen_At__c = 2024-05-15T10:00:00+02:00", ["alpha"]),
        ("Seen_At__c = 2024-05-14T16:59:59-07:00", ["Beta"]),
        ("Seen_At__c > 2024-05-14T23:59:59Z", ["alpha"]),
        ("Seen_At__c >= 2024-05-14T23:59:59.000Z", ["alpha", "Beta"]),
        ("Seen_At__c < 2024-05-01T00:00:00Z", ["gamma"]),
        ("Seen_At__c = TODAY", ["alpha"]),
        ("Seen_At__c = YESTERDAY", ["Beta"]),
        ("Seen_At__c = LAST_N_DAYS:1", ["alpha", "Beta"]),
        ("Seen_At__c = LAST_MONTH", ["gamma"]),
        ("Seen_At__c < THIS_MONTH", ["gamma"]),
        ("Seen_At__c = null", ["delta_1%"]),
    ],
)
def test_datetimes(org: Org, where: str, expected: list[str]) -> None:
    assert names(org, where) == expected


def test_created_date_against_relative_literals_uses_the_clock() -> None:
    o = Org.demo()
    _insert(o, "Account", Name="Now")
    today = datetime.now(UTC)
    assert run_query(o, "SELECT COUNT() FROM Account WHERE CreatedDate = TODAY", version="57.0",
                     now=today).total_size == 1  # fmt: skip
    assert run_query(o, "SELECT COUNT() FROM Account WHERE CreatedDate < TODAY", version="57.0",
                     now=today).total_size == 0  # fmt: skip


def test_every_relative_literal_is_understood(org: Org) -> None:
    for name in DATE_LITERALS:
        q(org, f"SELECT Id FROM Gadget__c WHERE Due__c = {name}")
        start, end = date_range(name, None, date(2024, 5, 15))
        assert start < end
    for name in DATE_LITERALS_N:
        q(org, f"SELECT Id FROM Gadget__c WHERE Seen_At__c > {name}:2")
        start, end = date_range(name, 2, date(2024, 5, 15))
        assert start < end


def test_ids_compare_in_15_and_18_char_forms(org: Org) -> None:
    acme = next(org.iter_records("Account"))["Id"]
    assert names(org, f"Account__c = '{acme}'") == ["alpha", "gamma"]
    assert names(org, f"Account__c = '{acme[:15]}'") == ["alpha", "gamma"]
    assert names(org, f"Account__c IN ('{acme[:15]}')") == ["alpha", "gamma"]
    assert names(org, f"Account__c != '{acme}'") == ["Beta", "delta_1%"]
    gid = q(org, "SELECT Id FROM Gadget__c WHERE Name = 'Beta'").rows[0]["Id"]
    assert names(org, f"Id = '{gid[:15]}'") == ["Beta"]
    swapped = gid[:15].swapcase()
    assert swapped != gid[:15]
    assert names(org, f"Id = '{swapped}'") == []  # 15-char ids are case-sensitive


def test_relationship_field_in_where(org: Org) -> None:
    assert names(org, "Account__r.Name = 'acme'") == ["alpha", "gamma"]
    assert names(org, "Account__r.Name != 'acme'") == ["Beta", "delta_1%"]


def test_and_or_not_parentheses(org: Org) -> None:
    assert names(org, "Active__c = true AND Count__c > 5") == ["gamma"]
    assert names(org, "Name = 'alpha' OR Name = 'Beta' OR Count__c = 100") == [
        "alpha",
        "Beta",
        "gamma",
    ]
    assert names(org, "(Name = 'alpha' OR Name = 'Beta') AND Active__c = false") == ["Beta"]
    assert names(org, "Name = 'alpha' OR (Name = 'Beta' AND Active__c = true)") == ["alpha"]
    assert names(org, "NOT (Name = 'alpha' OR Name = 'Beta')") == ["delta_1%", "gamma"]
    assert names(org, "NOT Active__c = true AND NOT Name = 'Beta'") == ["delta_1%"]


# ---- ORDER BY, LIMIT, OFFSET ----------------------------------------------------------------


def _order(o: Org, order: str, field: str = "Name") -> list[Any]:
    return [r["Name"] for r in q(o, f"SELECT Name FROM Gadget__c ORDER BY {order}").rows]


def test_order_is_case_insensitive(org: Org) -> None:
    assert _order(org, "Name") == ["alpha", "Beta", "delta_1%", "gamma"]
    assert _order(org, "Name DESC") == ["gamma", "delta_1%", "Beta", "alpha"]


def test_nulls_first_by_default_in_both_directions(org: Org) -> None:
    assert _order(org, "Count__c") == ["delta_1%", "alpha", "Beta", "gamma"]
    assert _order(org, "Count__c ASC NULLS LAST") == ["alpha", "Beta", "gamma", "delta_1%"]
    assert _order(org, "Count__c DESC") == ["delta_1%", "gamma", "Beta", "alpha"]
    assert _order(org, "Count__c DESC NULLS LAST") == ["gamma", "Beta", "alpha", "delta_1%"]
    assert _order(org, "Count__c DESC NULLS FIRST") == ["delta_1%", "gamma", "Beta", "alpha"]


def test_numbers_sort_numerically_and_multiple_keys(org: Org) -> None:
    assert _order(org, "Count__c DESC NULLS LAST") == ["gamma", "Beta", "alpha", "delta_1%"]
    assert _order(org, "Label__c NULLS LAST, Name DESC") == ["Beta", "alpha", "gamma", "delta_1%"]
    assert _order(org, "Active__c DESC, Name") == ["alpha", "gamma", "Beta", "delta_1%"]


def test_order_by_dates_and_relationship(org: Org) -> None:
    assert _order(org, "Seen_At__c DESC NULLS LAST") == ["alpha", "Beta", "gamma", "delta_1%"]
    assert _order(org, "Due__c") == ["delta_1%", "Beta", "alpha", "gamma"]
    assert _order(org, "Account__r.Name NULLS LAST, Name") == ["alpha", "gamma", "Beta", "delta_1%"]


def test_limit_and_offset(org: Org) -> None:
    assert _order(org, "Name LIMIT 2") == ["alpha", "Beta"]
    assert _order(org, "Name LIMIT 2 OFFSET 1") == ["Beta", "delta_1%"]
    assert _order(org, "Name OFFSET 3") == ["gamma"]
    assert _order(org, "Name LIMIT 0") == []
    result = q(org, "SELECT Name FROM Gadget__c ORDER BY Name LIMIT 2 OFFSET 1")
    assert result.total_size == 2


def test_query_all_sees_deleted_records(org: Org) -> None:
    gid = q(org, "SELECT Id FROM Gadget__c WHERE Name = 'Beta'").rows[0]["Id"]
    assert org.delete("Gadget__c", gid).success
    assert q(org, "SELECT COUNT() FROM Gadget__c").total_size == 3
    assert q(org, "SELECT COUNT() FROM Gadget__c", include_deleted=True).total_size == 4
    rows = q(org, "SELECT Name, IsDeleted FROM Gadget__c WHERE IsDeleted = true",
             include_deleted=True).rows  # fmt: skip
    assert [(r["Name"], r["IsDeleted"]) for r in rows] == [("Beta", True)]


# ---- injection against data -----------------------------------------------------------------


def soql_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.mark.parametrize(
    "evil",
    ["x' OR Name != '", "x\\' OR Name != \\'", "' OR Name LIKE '%", "back\\slash", "50% off_"],
)
def test_escaped_hostile_values_match_only_themselves(org: Org, evil: str) -> None:
    _insert(org, "Gadget__c", Name=evil)
    assert names(org, f"Name = {soql_quote(evil)}") == [evil]
    assert (
        q(org, f"SELECT COUNT() FROM Gadget__c WHERE Name = {soql_quote(evil + 'z')}").total_size
        == 0
    )


def test_unescaped_quote_is_refused_not_run(org: Org) -> None:
    err = refused(org, "SELECT Name FROM Gadget__c WHERE Name = 'x' OR Name != 'y''")
    assert err.error_code == "MALFORMED_QUERY"


# ---- refusals -------------------------------------------------------------------------------

_NO_COLUMN_TAIL = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)


def test_unknown_field_message_is_salesforces() -> None:
    err = refused(Org.demo(), "SELECT Foo FROM Account")
    assert err.error_code == "INVALID_FIELD"
    assert err.message == (
        "\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\n"
        f"No such column 'Foo' on entity 'Account'. {_NO_COLUMN_TAIL}"
    )


def test_unknown_object_message_is_the_recorded_one() -> None:
    # CumulusCI cassette TestCountSObjects.test_count_sobjects__errors, byte for byte.
    err = refused(Org.demo(), "select count() from XYZZY")
    assert err.error_code == "INVALID_TYPE"
    assert err.body() == [
        {
            "message": "\nselect count() from XYZZY\n                    ^\nERROR at Row:1:Column:21\n"
            "sObject type 'XYZZY' is not supported. If you are attempting to use a custom object,"
            " be sure to append the '__c' after the entity name. Please reference your WSDL or "
            "the describe call for the appropriate names.",
            "errorCode": "INVALID_TYPE",
        }
    ]


@pytest.mark.parametrize(
    ("soql", "code", "column", "tail"),
    [
        ("SELECT Name FROM Gadget__c WHERE Nope__c = 1", "INVALID_FIELD", 34,
         f"No such column 'Nope__c' on entity 'Gadget__c'. {_NO_COLUMN_TAIL}"),
        ("SELECT Name FROM Gadget__c ORDER BY Nope__c", "INVALID_FIELD", 37,
         f"No such column 'Nope__c' on entity 'Gadget__c'. {_NO_COLUMN_TAIL}"),
        ("SELECT Account__r.Nope FROM Gadget__c", "INVALID_FIELD", 8,
         f"No such column 'Nope' on entity 'Account'. {_NO_COLUMN_TAIL}"),
        ("SELECT Account.Name FROM Gadget__c", "INVALID_FIELD", 8,
         "Didn't understand relationship 'Account' in field path. If you are attempting to use a "
         "custom relationship, be sure to append the '__r' after the custom relationship name. "
         "Please reference your WSDL or the describe call for the appropriate names."),
        ("SELECT Name FROM Gadget__c WHERE Name = 5", "INVALID_FIELD", 41,
         "value of filter criterion for field 'Name' must be of type string and should be "
         "enclosed in quotes"),
        ("SELECT Name FROM Gadget__c WHERE Count__c = '5'", "INVALID_FIELD", 45,
         "value of filter criterion for field 'Count__c' must be of type integer and should not "
         "be enclosed in quotes"),
        ("SELECT Name FROM Gadget__c WHERE Price__c = '5'", "INVALID_FIELD", 45,
         "value of filter criterion for field 'Price__c' must be of type currency and should not "
         "be enclosed in quotes"),
        ("SELECT Name FROM Gadget__c WHERE Active__c = 'true'", "INVALID_FIELD", 46,
         "value of filter criterion for field 'Active__c' must be of type boolean and should not "
         "be enclosed in quotes"),
        ("SELECT Name FROM Gadget__c WHERE Due__c = '2024-01-01'", "INVALID_FIELD", 43,
         "value of filter criterion for field 'Due__c' must be of type date and should not be "
         "enclosed in quotes"),
        ("SELECT Name FROM Gadget__c WHERE Due__c = 2024-01-01T00:00:00Z", "INVALID_FIELD", 43,
         "value of filter criterion for field 'Due__c' must be of type date and should not be "
         "enclosed in quotes"),
        ("SELECT Name FROM Gadget__c WHERE Seen_At__c > 2024-01-01", "INVALID_FIELD", 47,
         "value of filter criterion for field 'Seen_At__c' must be of type dateTime and should "
         "not be enclosed in quotes"),
        ("SELECT Name FROM Gadget__c WHERE Account__c = 'abc'", "INVALID_QUERY_FILTER_OPERATOR",
         47, "invalid ID field: abc"),
        ("SELECT Name FROM Gadget__c WHERE Name = Label__c", "MALFORMED_QUERY", 41,
         "unexpected token: 'Label__c'"),
        ("SELECT Name FROM Gadget__c WHERE Due__c = 2024-02-30", "MALFORMED_QUERY", 43,
         "unexpected token: '2024-02-30'"),
        ("SELECT Name FROM Gadget__c WHERE Notes__c = 'x'", "INVALID_FIELD", 34,
         "field 'Notes__c' can not be filtered in a query call"),
        ("SELECT Name FROM Account ORDER BY Description", "INVALID_FIELD", 35,
         "field 'Description' can not be sorted in a query call"),
        ("SELECT Name FROM Gadget__c WHERE Count__c LIKE '1%'", "INVALID_QUERY_FILTER_OPERATOR",
         34, "invalid operator on int field: Count__c"),
    ],
)  # fmt: skip
def test_refusals(org: Org, soql: str, code: str, column: int, tail: str) -> None:
    if "FROM Account" in soql:
        _insert(org, "Account", Name="x")
    err = refused(org, soql)
    assert (err.error_code, err.message.split("\n")[-1]) == (code, tail)
    assert f"ERROR at Row:1:Column:{column}\n" in err.message


def test_duplicate_field(org: Org) -> None:
    # SOQL reference, FIELDS(): `"message" : "duplicate field selected: Id"`, INVALID_FIELD.
    err = refused(org, "SELECT Id, Name, id FROM Gadget__c")
    assert err.body() == [{"message": "duplicate field selected: id", "errorCode": "INVALID_FIELD"}]


def test_syntax_errors_come_before_schema_errors(org: Org) -> None:
    err = refused(org, "SELECT Foo FROM Nope WHERE")
    assert err.error_code == "MALFORMED_QUERY"


# ---- speed ----------------------------------------------------------------------------------


def test_100k_rows_filter_and_sort_fast() -> None:
    o = Org.demo()
    accounts = [_insert(o, "Account", Name=f"Acc {i:03d}") for i in range(50)]
    for i in range(100_000):
        o.insert("Contact", {"LastName": f"Name{i % 997}", "Email": f"u{i}@x.com" if i % 7 else None,
                             "AccountId": accounts[i % 50] if i % 3 else None})  # fmt: skip
    started = time.perf_counter()
    result = run_query(
        o,
        "SELECT Id, LastName, Account.Name FROM Contact WHERE LastName LIKE 'name1%' "
        "AND Email != null ORDER BY Account.Name NULLS LAST, LastName DESC",
        version="57.0",
    )
    elapsed = time.perf_counter() - started
    assert result.total_size > 9_000
    assert elapsed < 2.0, elapsed
    started = time.perf_counter()
    assert run_query(o, "SELECT COUNT() FROM Contact", version="57.0").total_size == 100_000
    all_rows = run_query(o, "SELECT Id FROM Contact ORDER BY Id", version="57.0").rows
    assert len(all_rows) == 100_000
    assert time.perf_counter() - started < 2.0
