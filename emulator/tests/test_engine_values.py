"""Value coercion by field type, with the error codes and wording real orgs use.

Where no recording exists (sf-recordings README: single-record 400s for most validation codes are
not public), wording follows Salesforce's docs and help articles: "Core Data Types Used in API
Calls" (SOAP API Developer Guide) for accepted formats; help article 000390015 ("Fixing Import
Error: INVALID_TYPE_ON_FIELD_IN_RECORD": e.g. 2 into a checkbox); Bulk API 2.0 Developer Guide
"Valid Date Format in Records" and "#N/A" for nulls.
"""

from __future__ import annotations

from typing import Any

import pytest

from forcebridge_emulator._config import FieldConfig
from forcebridge_emulator._schema import FieldDef
from forcebridge_emulator._standard import custom_field
from forcebridge_emulator._values import (
    BadValue,
    coerce_value,
    csv_record,
    csv_value,
    format_datetime,
    parse_datetime,
)


def field(name: str, type_: str, **kw: Any) -> FieldDef:
    return custom_field(FieldConfig(name, type_, **kw))


def error_of(f: FieldDef, value: Any) -> tuple[str, str, list[str]]:
    with pytest.raises(BadValue) as exc:
        coerce_value(f, value)
    e = exc.value.error
    return e.status_code, e.message, e.fields


def test_string_length() -> None:
    f = field("Code__c", "string", label="Code", length=5)
    assert coerce_value(f, "abcde") == "abcde"
    assert error_of(f, "abcdef") == (
        "STRING_TOO_LONG",
        "Code: data value too large: abcdef (max length=5)",
        ["Code__c"],
    )
    assert coerce_value(f, 12) == "12"  # JSON numbers into text fields are accepted
    assert error_of(f, {"a": 1})[0] == "INVALID_TYPE_ON_FIELD_IN_RECORD"


def test_email() -> None:
    f = field("Mail__c", "email", label="Mail")
    assert coerce_value(f, "a.b+c@example.co.uk") == "a.b+c@example.co.uk"
    assert error_of(f, "not-an-email") == (
        "INVALID_EMAIL_ADDRESS",
        "Mail: invalid email address: not-an-email",
        ["Mail__c"],
    )


def test_restricted_picklist() -> None:
    f = field("Stage__c", "picklist", label="Stage", picklist_values=["A", "B"],
              restricted_picklist=True)  # fmt: skip
    assert coerce_value(f, "A") == "A"
    assert error_of(f, "X") == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "Stage: bad value for restricted picklist field: X",
        ["Stage__c"],
    )
    open_list = field("Kind__c", "picklist", picklist_values=["A"])
    assert coerce_value(open_list, "anything") == "anything"
    multi = field("Tags__c", "multipicklist", picklist_values=["a", "b"], restricted_picklist=True)
    assert coerce_value(multi, "a;b") == "a;b"
    assert error_of(multi, "a;z")[0] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_booleans() -> None:
    f = field("Flag__c", "boolean", label="Flag")
    assert coerce_value(f, True) is True
    assert coerce_value(f, "false") is False
    assert coerce_value(f, "1") is True
    assert error_of(f, "2") == (
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "Flag: value not of required type: 2",
        ["Flag__c"],
    )


def test_numbers_precision_and_scale() -> None:
    amount = field("Amount__c", "currency", label="Amount", precision=5, scale=2)
    assert coerce_value(amount, 12) == 12.0
    assert coerce_value(amount, "12.345") == 12.35  # half up, as Salesforce rounds
    assert coerce_value(amount, -1.005) == -1.01
    assert coerce_value(amount, "999.99") == 999.99
    assert error_of(amount, 1000)[0] == "NUMBER_OUTSIDE_VALID_RANGE"
    assert error_of(amount, "abc") == (
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "Amount: value not of required type: abc",
        ["Amount__c"],
    )
    assert error_of(amount, True)[0] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    qty = field("Qty__c", "int", label="Qty")
    assert coerce_value(qty, "42") == 42
    assert coerce_value(qty, 3.0) == 3
    assert error_of(qty, 3.5)[0] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    assert error_of(qty, "nan")[0] == "INVALID_TYPE_ON_FIELD_IN_RECORD"


def test_dates() -> None:
    f = field("Day__c", "date", label="Day")
    assert coerce_value(f, "2010-01-01") == "2010-01-01"
    assert coerce_value(f, "2010-01-01T10:00:00Z") == "2010-01-01"
    assert error_of(f, "2010-13-45")[0] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    assert error_of(f, "01/02/2010")[0] == "INVALID_TYPE_ON_FIELD_IN_RECORD"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2017-04-25T15:17:55.000+0000", "2017-04-25T15:17:55.000+0000"),
        ("2017-04-25T15:17:55Z", "2017-04-25T15:17:55.000+0000"),
        ("2017-04-25T15:17:55.123Z", "2017-04-25T15:17:55.123+0000"),
        ("2017-04-25T17:17:55+02:00", "2017-04-25T15:17:55.000+0000"),
        ("2017-04-25T10:17:55.5-0500", "2017-04-25T15:17:55.500+0000"),
        ("2017-04-25", "2017-04-25T00:00:00.000+0000"),
    ],
)
def test_datetimes_are_stored_in_salesforce_form(given: str, stored: str) -> None:
    f = field("At__c", "datetime", label="At")
    assert coerce_value(f, given) == stored


def test_datetime_rejects_garbage() -> None:
    f = field("At__c", "datetime", label="At")
    assert error_of(f, "yesterday")[0] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    assert parse_datetime("2017-02-30T00:00:00Z") is None
    dt = parse_datetime("2024-01-02T03:04:05Z")
    assert dt is not None and format_datetime(dt) == "2024-01-02T03:04:05.000+0000"


def test_reference_shape() -> None:
    f = field("Account__c", "reference", label="Account", reference_to=["Account"])
    assert coerce_value(f, "0012300000bVTph") == "0012300000bVTphAAG"
    assert error_of(f, "12345") == (
        "MALFORMED_ID",
        "Account: id value of incorrect type: 12345",
        ["Account__c"],
    )


def test_csv_record_rules() -> None:
    header = ["Name", "Phone", "Fax", "Account.External_Id__c"]
    assert csv_record(header, ["Acme", "", "#N/A", "A1"]) == {
        "Name": "Acme",
        "Fax": None,
        "Account": {"External_Id__c": "A1"},
    }
    flag = field("Flag__c", "boolean")
    assert csv_value(flag, "true") is True
    assert csv_value(flag, "#N/A") is None
    qty = field("Qty__c", "int")
    assert csv_value(qty, "7") == 7
