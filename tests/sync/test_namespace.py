"""Namespace prefixes: custom names get the package prefix; standard and prefixed ones don't."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from forcebridge.sync.mapping import MappingSpec, Namespace, Target
from forcebridge.sync.namespace import (
    apply_prefix,
    is_custom,
    is_prefixed,
    strip_prefix,
    valid_prefix,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Balance__c", "acme__Balance__c"),
        ("Account__r", "acme__Account__r"),
        ("Invoice_Paid__e", "acme__Invoice_Paid__e"),
        ("Settings__mdt", "acme__Settings__mdt"),
        ("Name", "Name"),
        ("AccountId", "AccountId"),
        ("Account", "Account"),
        ("External_Id", "External_Id"),  # single underscores are not a suffix
        ("acme__Balance__c", "acme__Balance__c"),
        ("other__Balance__c", "other__Balance__c"),  # another package's field stays
        ("ACME__Balance__c", "ACME__Balance__c"),
        ("Account__r.External_Id__c", "acme__Account__r.acme__External_Id__c"),
        ("Account.External_Id__c", "Account.acme__External_Id__c"),
        ("Owner.Name", "Owner.Name"),
    ],
)
def test_apply_prefix(name: str, expected: str) -> None:
    assert apply_prefix(name, "acme") == expected


def test_no_prefix_changes_nothing() -> None:
    assert apply_prefix("Balance__c", None) == "Balance__c"
    assert apply_prefix("Balance__c", "") == "Balance__c"


def test_strip_is_the_inverse() -> None:
    for name in ["Balance__c", "Name", "Account__r.External_Id__c"]:
        assert strip_prefix(apply_prefix(name, "acme"), "acme") == name
    assert strip_prefix("other__Balance__c", "acme") == "other__Balance__c"
    assert strip_prefix("ACME__Balance__c", "acme") == "Balance__c"


def test_name_kinds() -> None:
    assert is_custom("Balance__c") and is_custom("acme__Balance__c") and not is_custom("Name")
    assert is_prefixed("acme__Balance__c") and not is_prefixed("Balance__c")


@pytest.mark.parametrize("prefix", ["acme", "A1", "abcdefghijklmno"])
def test_valid_prefixes(prefix: str) -> None:
    assert valid_prefix(prefix)


@pytest.mark.parametrize("prefix", ["", "1acme", "ac_me", "acme__", "abcdefghijklmnop", "ac me"])
def test_invalid_prefixes(prefix: str) -> None:
    assert not valid_prefix(prefix)


def test_namespace_model() -> None:
    assert Namespace().effective_prefix is None
    assert Namespace(kind="custom").apply("Balance__c") == "Balance__c"
    assert Namespace(kind="managed", prefix="acme").apply("Balance__c") == "acme__Balance__c"
    with pytest.raises(ValidationError, match="needs a prefix"):
        Namespace(kind="managed")
    with pytest.raises(ValidationError, match="needs a prefix"):
        Namespace(kind="managed", prefix="ac_me")
    with pytest.raises(ValidationError, match="only used with kind 'managed'"):
        Namespace(kind="custom", prefix="acme")


def test_spec_resolves_object_and_external_id() -> None:
    spec = MappingSpec(target=Target(
        object="Balance__c", external_id_field="External_Id__c",
        namespace=Namespace(kind="managed", prefix="acme"),
    ))
    assert spec.resolved_object() == "acme__Balance__c"
    assert spec.resolved_external_id() == "acme__External_Id__c"
    standard = MappingSpec(target=Target(
        object="Account", external_id_field="External_Id__c",
        namespace=Namespace(kind="managed", prefix="acme"),
    ))
    assert standard.resolved_object() == "Account"
    assert standard.resolved_external_id() == "acme__External_Id__c"
