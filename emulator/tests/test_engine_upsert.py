"""Upsert by external id and all-or-none transactions.

Upsert behaviour follows the recordings (sf-recordings README fact 2: created vs updated, several
matches -> 300; restforce upsert_error_response.json: "Provided external ID field does not exist or
is not accessible") and the REST API Developer Guide "Insert or Update (Upsert) a Record Using an
External ID". The non-key-field message follows the Apex wording ("Invalid field for upsert, must
be an External Id custom or standard indexed field").
"""

from __future__ import annotations

import pytest

from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._org import Org


@pytest.fixture
def org() -> Org:
    return Org.demo()


def test_upsert_creates_then_updates(org: Org) -> None:
    created = org.upsert("Account", "External_Id__c", "X-1", {"Name": "First"})
    assert created.success and created.created is True and created.id is not None
    rec = org.get("Account", created.id)
    assert rec["External_Id__c"] == "X-1"
    updated = org.upsert("Account", "External_Id__c", "x-1", {"Name": "Second"})
    assert updated.success and updated.created is False and updated.id == created.id
    assert org.get("Account", created.id)["Name"] == "Second"
    assert org.count("Account") == 1


def test_case_sensitive_external_ids_do_not_fold() -> None:
    from forcebridge_emulator._config import FieldConfig, ObjectConfig, OrgConfig

    cfg = OrgConfig(objects=[ObjectConfig("Thing__c", fields=[
        FieldConfig("Key__c", "string", external_id=True, unique=True, case_sensitive=True),
    ])])  # fmt: skip
    org = Org(cfg)
    a = org.upsert("Thing__c", "Key__c", "abc", {})
    b = org.upsert("Thing__c", "Key__c", "ABC", {})
    assert a.created and b.created and a.id != b.id


def test_upsert_with_several_matches(org: Org) -> None:
    # Contact.Email is idLookup but not unique: two records can share it.
    one = org.insert("Contact", {"LastName": "A", "Email": "same@example.com"}).id
    two = org.insert("Contact", {"LastName": "B", "Email": "SAME@example.com"}).id
    result = org.upsert("Contact", "Email", "same@example.com", {"LastName": "C"})
    assert not result.success and result.errors[0].status_code == "DUPLICATE_EXTERNAL_ID"
    assert sorted(org.find_by_external_id("Contact", "Email", "same@example.com")) == sorted(
        [one, two]
    )


def test_upsert_key_field_errors(org: Org) -> None:
    with pytest.raises(ApiError) as exc:
        org.upsert("Account", "Namez", "x", {"Name": "A"})
    assert (exc.value.status, exc.value.error_code, exc.value.message) == (
        404,
        "NOT_FOUND",
        "Provided external ID field does not exist or is not accessible: Namez",
    )
    with pytest.raises(ApiError) as exc:
        org.upsert("Account", "Phone", "1", {"Name": "A"})
    assert exc.value.status == 400 and exc.value.error_code == "INVALID_FIELD"


def test_upsert_by_id(org: Org) -> None:
    created = org.upsert("Account", "Id", None, {"Name": "New"})
    assert created.created is True and created.id is not None
    updated = org.upsert("Account", "Id", created.id, {"Name": "Renamed", "Id": created.id})
    assert updated.success and updated.created is False
    assert org.get("Account", created.id)["Name"] == "Renamed"


def test_upsert_validation_failure_leaves_no_record(org: Org) -> None:
    result = org.upsert("Account", "External_Id__c", "Y", {"Phone": "1"})
    assert result.errors[0].status_code == "REQUIRED_FIELD_MISSING"
    assert org.count("Account") == 0
    assert org.find_by_external_id("Account", "External_Id__c", "Y") == []


def test_transaction_rolls_back_inserts_updates_and_deletes(org: Org) -> None:
    keep = org.insert("Account", {"Name": "Keep", "External_Id__c": "K"}).id
    gone = org.insert("Account", {"Name": "Gone"}).id
    assert keep is not None and gone is not None
    with pytest.raises(RuntimeError), org.transaction():
        org.update("Account", keep, {"Name": "Changed", "External_Id__c": "K2"})
        org.delete("Account", gone)
        org.insert("Account", {"Name": "Temp", "External_Id__c": "T"})
        raise RuntimeError("allOrNone: a later record failed")
    assert org.get("Account", keep)["Name"] == "Keep"
    assert org.get("Account", gone)["IsDeleted"] is False
    assert org.count("Account") == 2
    assert org.find_by_external_id("Account", "External_Id__c", "K") == [keep]
    assert org.find_by_external_id("Account", "External_Id__c", "K2") == []
    assert org.find_by_external_id("Account", "External_Id__c", "T") == []


def test_transaction_commits_and_nests(org: Org) -> None:
    with org.transaction():
        first = org.insert("Account", {"Name": "Outer"}).id
        with pytest.raises(ValueError), org.transaction():
            org.insert("Account", {"Name": "Inner"})
            raise ValueError
        assert org.count("Account") == 1
    assert first is not None and org.get("Account", first)["Name"] == "Outer"
    with pytest.raises(KeyError), org.transaction():
        org.update("Account", first, {"Name": "Changed"})
        raise KeyError
    assert org.get("Account", first)["Name"] == "Outer"


def test_many_upserts_stay_consistent(org: Org) -> None:
    for i in range(2000):
        assert org.upsert("acme__Balance__c", "acme__External_Id__c", f"B{i}",
                          {"acme__Amount__c": i}).created  # fmt: skip
    for i in range(0, 2000, 2):
        assert org.upsert("acme__Balance__c", "acme__External_Id__c", f"b{i}",
                          {"acme__Amount__c": -i}).created is False  # fmt: skip
    assert org.count("acme__Balance__c") == 2000
    amounts = [r["acme__Amount__c"] for r in org.iter_records("acme__Balance__c")]
    assert amounts[:4] == [0.0, 1.0, -2.0, 3.0]


def test_writes_from_several_threads_stay_consistent(org: Org) -> None:
    import sys
    import threading

    failures: list[object] = []

    def work(n: int) -> None:
        for i in range(1500):
            result = org.upsert(
                "acme__Balance__c", "acme__External_Id__c", f"T{i}", {"acme__Amount__c": n}
            )
            if not result.success:
                failures.append(result.errors)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible to expose races
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert failures == []
    assert org.count("acme__Balance__c") == 1500  # each key created once, then updated
    for i in range(0, 1500, 100):
        assert (
            len(org.find_by_external_id("acme__Balance__c", "acme__External_Id__c", f"T{i}")) == 1
        )
