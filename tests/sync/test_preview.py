"""The plan's record listing: limits, source order, and field-by-field comparison with what
the org holds (pure)."""

from __future__ import annotations

from forcebridge.sync.diff import Change, Diffed
from forcebridge.sync.mapper import FieldError, MappingError
from forcebridge.sync.preview import Listing, compare


def _diffed(key: str, line: int, **payload: object) -> Diffed:
    return Diffed(key, dict(payload), "h", Change.NEW, None, line)


def test_a_batch_is_listed_in_source_order_up_to_the_limit() -> None:
    listing = Listing(limit=3)
    listing.batch([_diffed("B", 3, X=1)], [_diffed("A", 2, X=2)],
                  [MappingError("C", [FieldError("X", "not a number")], 1)])
    assert [(r.key, r.action) for r in listing.records] == [
        ("C", "reject"), ("A", "update"), ("B", "create")]
    assert not listing.more
    assert listing.deleted("D", "a01") is False and listing.more
    assert listing.as_list()[0]["problems"] == [{"field": "X", "reason": "not a number"}]


def test_compare_says_what_the_org_holds_and_what_would_change() -> None:
    listing = Listing()
    listing.batch([], [_diffed("INV-1", 2, Amount__c=20.0, Status__c="Paid", Name="x",
                               Account__r={"External_Id__c": "A-1"})], [])
    record = listing.records[0]
    org = {"attributes": {}, "Id": "a01", "amount__c": 20, "Status__c": "Sent"}
    compare(record, org, {"amount__c": "currency", "status__c": "picklist"})
    by_name = {f.field: f for f in record.fields}
    assert (by_name["Amount__c"].compared, by_name["Amount__c"].differs) == (True, False)
    assert (by_name["Status__c"].org, by_name["Status__c"].differs) == ("Sent", True)
    assert not by_name["Account__r"].compared and by_name["Account__r"].differs  # a reference
    assert not by_name["Name"].compared  # not read: shown as a change
    assert [f.field for f in record.changed_fields] == ["Status__c", "Name", "Account__r"]


def test_a_record_the_org_does_not_have_keeps_every_field_as_a_change() -> None:
    listing = Listing()
    listing.batch([], [_diffed("INV-9", 1, Amount__c=1.0)], [])
    compare(listing.records[0], None, {})
    assert listing.as_list()[0]["changed_fields"] == ["Amount__c"]
