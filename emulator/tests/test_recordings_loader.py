"""The recordings loader, the normaliser and the shape comparator, on the real files and on
small hand-made values (pure: no emulator involved)."""

from __future__ import annotations

import json

import pytest
from recorded.recording_fixtures import FIXTURES
from recorded.recording_shapes import (
    canonical,
    compare_headers,
    compare_shapes,
    normalise_url,
    placeholder,
    replace_ids,
)
from recorded.recordings import (
    Interaction,
    classify,
    endpoint_of,
    find,
    iter_interactions,
    load_interactions,
    recording_files,
)


def _find(file_part: str, index: int = 0) -> Interaction:
    return find(file_part, index)


def test_find_raises_for_an_unknown_interaction() -> None:
    with pytest.raises(LookupError):
        find("no-such-cassette")


# ---- loader ------------------------------------------------------------------------------------


def test_every_file_loads_and_each_interaction_has_a_unique_id() -> None:
    its = load_interactions()
    files = {it.source.file for it in its}
    assert files == set(recording_files())
    assert len({it.test_id for it in its}) == len(its)


def test_include_file_pulls_in_the_shared_cassette() -> None:
    it = _find("TestUpsert.test_upsert__rest.yaml", 1)
    assert it.source.included == "GET_sobjects_Global_describe.yaml"
    assert it.request.method == "GET"
    assert it.endpoint == "sobjects"
    assert it.response.status == 200
    assert "sobjects" in it.response.json()


def test_yaml_anchors_repeat_the_earlier_element() -> None:
    # `- *id001` at index 3 repeats the `&id001` include at index 1.
    first, again = (
        _find("TestUpsert.test_upsert__rest.yaml", 1),
        _find("TestUpsert.test_upsert__rest.yaml", 3),
    )
    assert again.request.url == first.request.url
    assert again.response.body == first.response.body


def test_bare_shared_cassette_is_one_interaction() -> None:
    its = [
        it
        for it in iter_interactions()
        if it.source.file.endswith("shared_cassettes/GET_sobjects_Lead_describe.yaml")
    ]
    assert len(its) == 1
    assert its[0].endpoint == "sobjects/Lead/describe"
    assert its[0].response.json()["name"] == "Lead"


def test_vcr_29_interaction_keeps_real_headers_and_method_case() -> None:
    it = _find("does_not_want_to_build_a_new_record.yml", 6)
    assert it.request.method == "DELETE"
    assert it.response.status == 404
    assert it.response.header("sforce-limit-info") == "api-usage=97/15000"
    assert it.response.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    assert it.api_version == "30.0"  # `<api_version>` mask: pre-v46 behaviour


def test_elided_headers_are_dropped() -> None:
    it = _find("TestUpsert.test_upsert__rest.yaml", 9)
    assert it.request.headers == {}
    assert it.response.headers == {"Content-Type": "application/json;charset=UTF-8"}


def test_fixture_gets_its_request_from_the_table() -> None:
    it = _find("restforce/spec/fixtures/sobject/upsert_multiple_error_response.json")
    assert (it.request.method, it.response.status) == ("PATCH", 300)
    assert it.endpoint == "sobjects/Account/SLASerialNumber__c/1234"
    assert it.request.json() == {"Name": "Foobar"}
    assert isinstance(it.response.json(), list)


def test_empty_fixture_is_an_empty_body() -> None:
    it = _find("sobject/upsert_updated_success_response.json")
    assert it.response.status == 204
    assert it.response.body == b""
    assert it.response.json() is None


def test_csv_fixture_is_decoded_from_its_json_string() -> None:
    it = _find("bulk/success_results_success_response.json")
    assert it.response.text.splitlines()[0] == '"sf__Id","sf__Created",Name'
    assert it.response.header("content-type") == "text/csv"


def test_every_json_fixture_has_a_request_and_every_entry_a_file() -> None:
    assert {f for f in recording_files() if f.endswith(".json")} == set(FIXTURES)


# ---- classification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "inside", "reason_part"),
    [
        ("https://x.my.salesforce.com/services/async/62.0/job", False, "Bulk API 1.0"),
        ("https://x.my.salesforce.com/services/data/vxx.0/tooling/query/?q=x", False, "Tooling"),
        ("https://github.com/login/device/code", False, "not Salesforce"),
        (
            "https://x.my.salesforce.com/services/data/v62.0/limits/recordCount?sObjects=A",
            True,
            "",
        ),
        ("https://x.my.salesforce.com/services/data/v61.0/composite/graph", False, "graph"),
        ("https://x.my.salesforce.com/services/data/vxx.0/connect/communities", False, "Connect"),
        (
            "https://x.my.salesforce.com/services/data/v62.0/query/?q=SELECT+Id+FROM+Event",
            False,
            "Event",
        ),
        # an object no org has is named on purpose, to get INVALID_TYPE: replayed
        ("https://x.my.salesforce.com/services/data/v62.0/query/?q=SELECT+Id+FROM+XYZZY", True, ""),
        ("https://x.my.salesforce.com/services/data/v62.0/limits", True, ""),
        (
            "https://x.my.salesforce.com/services/data/vxx.0/composite/sobjects/Contact/Email",
            True,
            "",
        ),
        (
            "https://x.my.salesforce.com/services/data/vxx.0/query/?q=select+FirstName%2C%28select+Name+from+"
            "Opportunities%29+from+Contact",
            True,
            "",
        ),
    ],
)
def test_classify(url: str, inside: bool, reason_part: str) -> None:
    got_inside, reason = classify(url, "CumulusCI/x.yaml")
    assert got_inside is inside
    assert reason_part in reason


def test_every_excluded_interaction_says_why() -> None:
    for it in iter_interactions():
        assert it.in_surface or it.reason


def test_endpoint_of_strips_the_version_and_doubled_slashes() -> None:
    assert endpoint_of("/services/data/v62.0/composite/sobjects/") == "composite/sobjects"
    assert endpoint_of("//services/async/62.0/job") == "/services/async/62.0/job"
    assert endpoint_of("/services/data/<api_version>/") == "(resources)"


# ---- normalisation -----------------------------------------------------------------------------


def test_normalise_url_rewrites_host_version_and_ids() -> None:
    url = "https://<host>/services/data/<api_version>/sobjects/Contact/0031a000005hwUIAAY"
    got = normalise_url(
        url,
        base="https://e.test",
        version="30.0",
        id_map={"0031a000005hwUIAAY": "003000000000001AAA"},
    )
    assert got == "https://e.test/services/data/v30.0/sobjects/Contact/003000000000001AAA"
    assert (
        normalise_url(
            "https://orgname.my.salesforce.com//services/data/vxx.0/",
            base="https://e.test",
            version="62.0",
        )
        == "https://e.test/services/data/v62.0/"
    )


def test_replace_ids_prefers_the_longest_id() -> None:
    ids = {"0031a000005hwUI": "003AAAAAAAAAAAA", "0031a000005hwUIAAY": "003BBBBBBBBBBBBBBB"}
    assert (
        replace_ids("x 0031a000005hwUIAAY y 0031a000005hwUI", ids)
        == "x 003BBBBBBBBBBBBBBB y 003AAAAAAAAAAAA"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-04-25T15:17:55.000+0000", "<datetime>"),
        ("2010-01-01", "<date>"),
        ("0031a000005hwUIAAY", "<id>"),
        ("/services/data/v57.0/query/01g-200", "/services/data/<v>/query/01g-200"),
        (
            "https://<host>/services/data/<api_version>/sobjects",
            "https://<host>/services/data/<v>/sobjects",
        ),
        ("Sitwell-Bluth", "Sitwell-Bluth"),
    ],
)
def test_placeholder(value: str, expected: str) -> None:
    assert placeholder(value) == expected


def test_canonical_masks_every_string() -> None:
    assert canonical({"Id": "001Da00000xnAk6IAE", "n": [1, "2010-01-01"]}) == {
        "Id": "<id>",
        "n": [1, "<date>"],
    }


# ---- the shape comparator ----------------------------------------------------------------------


def test_same_shape_different_values_passes() -> None:
    rec = {
        "totalSize": 2,
        "done": True,
        "records": [
            {
                "attributes": {"type": "Account", "url": "/services/data/v1.0/x"},
                "Name": "a",
                "AnnualRevenue": 1.0,
            }
        ],
    }
    act = {
        "totalSize": 5,
        "done": True,
        "records": [
            {
                "attributes": {"type": "Account", "url": "/services/data/v62.0/y"},
                "Name": "b",
                "AnnualRevenue": 7,
            }
        ]
        * 3,
    }
    assert compare_shapes(rec, act) == []


def test_missing_and_extra_keys_are_reported() -> None:
    diffs = compare_shapes(
        {"id": "x", "success": True, "errors": []}, {"id": "x", "success": True, "created": True}
    )
    assert diffs == [
        "$: keys missing from the emulator: ['errors']",
        "$: keys the recording does not have: ['created']",
    ]


def test_extra_keys_ok_for_older_recordings() -> None:
    assert compare_shapes({"a": 1}, {"a": 2, "newer": True}, extra_keys_ok=True) == []


def test_type_mismatch_is_reported_with_the_path() -> None:
    diffs = compare_shapes({"records": [{"n": 1}]}, {"records": [{"n": "1"}]})
    assert diffs == ["$.records[0].n: recorded number 1, emulator string '1'"]


def test_null_matches_any_type() -> None:
    assert compare_shapes({"a": None, "b": "x"}, {"a": {"k": 1}, "b": None}) == []


def test_envelope_keys_may_not_turn_null() -> None:
    rec = {"compositeResponse": [{"body": {"id": "x"}, "httpStatusCode": 201}]}
    act = {"compositeResponse": [{"body": None, "httpStatusCode": 201}]}
    assert compare_shapes(rec, act) == [
        "$.compositeResponse[0].body: recorded object, emulator null"
    ]


def test_error_codes_must_be_equal() -> None:
    rec = [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]
    act = [{"message": "not found", "errorCode": "NOT_FOUND", "fields": []}]
    assert compare_shapes(rec, act) == [
        "$[0].errorCode: recorded 'ENTITY_IS_DELETED', emulator 'NOT_FOUND'"
    ]


def test_datetime_format_must_be_kept() -> None:
    diffs = compare_shapes({"d": "2015-06-25T21:53:49.000+0000"}, {"d": "2015-06-25T21:53:49Z"})
    assert diffs and "datetime" in diffs[0]


def test_ids_stay_18_characters() -> None:
    rec = {
        "id": "0017e00001W4GYRAA3",
        "OwnerId": "0057e00000RtpbzAAB",
        "Name": "0017e00001W4GYRAA3",
    }
    act = {"id": "0017e00001W4GYR", "OwnerId": "0057e00000RtpbzAAB", "Name": "x"}
    assert compare_shapes(rec, act) == [
        "$.id: recorded an 18-character id '0017e00001W4GYRAA3', emulator '0017e00001W4GYR'"
    ]


def test_records_cannot_vanish_but_other_lists_may_be_empty() -> None:
    assert compare_shapes({"records": [{"a": 1}]}, {"records": []}) == [
        "$.records: recorded 1 records, emulator none"
    ]
    assert compare_shapes({"picklistValues": [{"a": 1}]}, {"picklistValues": []}) == []


def test_describe_lists_pair_by_name() -> None:
    rec = {"fields": [{"name": "Id", "precision": 18}, {"name": "Name", "precision": 255}]}
    act = {"fields": [{"name": "Name", "precision": "255"}, {"name": "Extra__c", "precision": 3}]}
    assert compare_shapes(rec, act) == [
        "$.fields[Name].precision: recorded number 255, emulator string '255'"
    ]


def test_describe_field_attributes_that_matter_must_be_equal() -> None:
    rec = {"fields": [{"name": "Name", "nillable": False, "length": 40, "label": "Name"}]}
    act = {"fields": [{"name": "Name", "nillable": True, "length": 255, "label": "Account Name"}]}
    assert compare_shapes(rec, act) == [
        "$.fields[Name].nillable: recorded False, emulator True",
        "$.fields[Name].length: recorded 40, emulator 255",
    ]
    # an older recording: picklist lengths grew later
    assert compare_shapes(rec, act, extra_keys_ok=True) == [
        "$.fields[Name].nillable: recorded False, emulator True"
    ]


def test_record_fields_unknown_to_the_emulator_may_be_missing() -> None:
    rec = {"attributes": {"type": "User"}, "Id": "x", "DigestFrequency": "D"}
    act = {"attributes": {"type": "User"}, "Id": "y"}
    assert compare_shapes(rec, act, known_fields=lambda s: {"Id"}) == []
    assert compare_shapes(rec, act, known_fields=lambda s: {"Id", "DigestFrequency"}) != []


def test_recorded_bodies_compare_equal_to_themselves() -> None:
    for it in load_interactions():
        if it.response.is_json:
            body = it.response.json()
            assert compare_shapes(body, json.loads(json.dumps(body))) == [], it.test_id


def test_headers_that_matter() -> None:
    rec = {
        "Content-Type": "application/json;charset=UTF-8",
        "Sforce-Limit-Info": "api-usage=1/15000",
        "Location": "/services/data/<api_version>/sobjects/X/a00",
    }
    ok = {
        "content-type": "application/json; charset=utf-8",
        "sforce-limit-info": "api-usage=3/15000",
        "location": "/services/data/v30.0/sobjects/X/a01",
    }
    assert compare_headers(rec, ok, 201) == []
    assert len(compare_headers(rec, {"content-type": "text/html"}, 201)) == 3
    no_charset = {**ok, "content-type": "application/json"}
    assert compare_headers(rec, no_charset, 201) == [
        "Content-Type: recorded 'application/json;charset=UTF-8', emulator 'application/json'"
    ]
    assert compare_headers({}, {}, 401) == ["WWW-Authenticate: expected 'Token', emulator None"]
