"""Posts to a hook become records in the emulated org: form-encoded, JSON, URL parameters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from forcebridge.store.form_posts import FormPost
from forcebridge.store.runs import Event
from tests.forms.conftest import CASE_FORM, LEAD_FORM, Forms


def _post_row(forms: Forms, post_id: str) -> FormPost:
    with forms.rt.db.begin() as s:
        post = s.get(FormPost, post_id)
        assert post is not None
        return post


def test_a_form_encoded_post_creates_a_lead_and_lists_the_ignored_keys(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    resp = forms.post(hook, data={
        "last_name": "Lovelace", "company": "Analytical Engines", "email": "ada@example.com",
        "utm_campaign": "spring", "Title": "Countess",
    })
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "created" and body["object"] == "Lead"
    # Title names a field, but auto-match is off: only mapped keys are posted
    assert sorted(body["ignored"]) == ["Title", "utm_campaign"]
    lead = forms.emu.org.get("Lead", body["id"])
    assert (lead["LastName"], lead["Company"], lead["Email"], lead["LeadSource"]) == (
        "Lovelace", "Analytical Engines", "ada@example.com", "Web"
    )
    assert lead["Title"] is None
    post = _post_row(forms, body["post_id"])
    assert post.status == "created" and post.salesforce_id == body["id"]
    assert post.received["utm_campaign"] == "spring" and post.attempts == 1


def test_a_json_post_creates_a_case(forms: Forms) -> None:
    hook = forms.form("support", CASE_FORM)
    resp = forms.post(hook, json={
        "subject": "Printer on fire", "message": "It is really on fire", "email": "x@example.com",
        "priority": "High",
    })
    assert resp.status_code == 201, resp.text
    body = resp.json()
    case = forms.emu.org.get("Case", body["id"])
    assert case["Subject"] == "Printer on fire" and case["Origin"] == "Web"
    assert case["Description"] == "It is really on fire" and case["SuppliedEmail"] == "x@example.com"
    assert case["CaseNumber"]  # the org numbered it
    assert body["ignored"] == ["priority"]


def test_url_parameters_create_a_lead(forms: Forms) -> None:
    hook = forms.form("redirect leads", LEAD_FORM)
    resp = forms.post(hook, params={"last_name": "Hopper", "company": "Navy", "ref": "ad"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["ignored"] == ["ref"]  # and never the token
    assert forms.emu.org.get("Lead", body["id"])["LastName"] == "Hopper"
    assert "token" not in _post_row(forms, body["post_id"]).received


def test_auto_match_posts_keys_named_like_createable_fields(forms: Forms) -> None:
    config: dict[str, Any] = {"object": "Lead", "auto_match": True,
                              "mappings": [{"field": "Company", "column": "org"}]}
    hook = forms.form("auto", config)
    resp = forms.post(hook, data={
        "lastname": "Curie", "org": "Sorbonne", "City": "Paris", "Name": "not createable",
        "company": "loses to the mapping", "colour": "blue",
    })
    assert resp.status_code == 201, resp.text
    body = resp.json()
    lead = forms.emu.org.get("Lead", body["id"])
    assert (lead["LastName"], lead["Company"], lead["City"]) == ("Curie", "Sorbonne", "Paris")
    assert sorted(body["ignored"]) == ["Name", "colour", "company"]


def test_missing_required_fields_are_refused_naming_them_and_kept(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    before = forms.emu.org.count("Lead")
    resp = forms.post(hook, data={"email": "nobody@example.com", "company": "  "})
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["status"] == "rejected" and body["error"]["code"] == "invalid_post"
    assert {d["field"] for d in body["error"]["details"]} == {"LastName", "Company"}
    assert "'last_name'" in body["error"]["message"]
    assert forms.emu.org.count("Lead") == before
    with forms.rt.db.begin() as s:
        event = s.scalar(select(Event).where(Event.record_key == body["post_id"]))
        assert event is not None and event.kind == "form_rejected" and event.status == "open"
        assert sorted(event.fields) == ["Company", "LastName"]
        assert event.payload is not None and event.payload["received"]["email"] == "nobody@example.com"
    assert _post_row(forms, body["post_id"]).status == "rejected"


def test_a_value_a_transform_refuses_is_named(forms: Forms) -> None:
    config = {**LEAD_FORM, "mappings": [*LEAD_FORM["mappings"],
                                        {"field": "NumberOfEmployees", "column": "size"}]}
    hook = forms.form("sized", config)
    resp = forms.post(hook, data={"last_name": "A", "company": "B", "size": "lots"})
    assert resp.status_code == 422
    assert [d["field"] for d in resp.json()["error"]["details"]] == ["NumberOfEmployees"]


def test_unreadable_bodies_are_refused_and_not_stored(forms: Forms) -> None:
    hook = forms.form("web leads", LEAD_FORM)
    assert forms.post(hook, content=b"<xml/>", headers={"content-type": "text/xml"}
                      ).status_code == 415
    assert forms.post(hook, content=b"{not json", headers={"content-type": "application/json"}
                      ).status_code == 422
    nested = forms.post(hook, json={"last_name": {"a": 1}})
    assert nested.status_code == 422 and nested.json()["error"]["details"][0]["field"] == "last_name"
    with forms.rt.db.begin() as s:
        assert s.scalar(select(FormPost.id)) is None


def test_repeated_keys_are_joined_like_a_multi_select(forms: Forms) -> None:
    hook = forms.form("web leads", {**LEAD_FORM, "mappings": [
        *LEAD_FORM["mappings"], {"field": "Description", "column": "interests"}]})
    resp = forms.post(hook, content=b"last_name=A&company=B&interests=x&interests=y",
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 201, resp.text
    assert forms.emu.org.get("Lead", resp.json()["id"])["Description"] == "x;y"
