"""Records, try it: objects and fields suggested from the org, create, get by an id-lookup
field, update, and Salesforce's refusal shown."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from tests.console.conftest import Live, shot, sign_in
from tests.emulated_org import connect


def test_create_get_update_a_record(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    with live.rt.db.begin() as s:
        connect(s, live.rt, ann.tenant_id, live.emu)
    sign_in(page, live, ann, then="/records")
    objects = page.locator("#objects option")
    assert "Account" in objects.evaluate_all("els => els.map(e => e.value)")
    page.fill("#f-object", "Account")
    page.click("button:has-text('Choose')")
    expect(page.locator("#c-hint")).to_contain_text("Name")
    lookups = page.locator("#g-field option").evaluate_all("els => els.map(e => e.value)")
    assert "Id" in lookups and "External_Id__c" in lookups

    page.fill("#c-values", "Name=Acme Try\nExternal_Id__c=TRY-1")
    page.click("button:has-text('Create')")
    created = json.loads(page.locator("#records-result").inner_text())
    assert created["created"] is True and created["id"].startswith("001")

    page.select_option("#g-field", "External_Id__c")
    page.fill("#g-value", "TRY-1")
    page.fill("#g-fields", "Name")
    page.click("button:has-text('Get')")
    found = json.loads(page.locator("#records-result").inner_text())
    assert found[0]["Name"] == "Acme Try"

    page.fill("#u-id", created["id"])
    page.fill("#u-values", "Name=Acme Renamed")
    page.click("button:has-text('Update')")
    expect(page.locator("#records-result")).to_contain_text(created["id"])
    page.select_option("#g-field", "Id")
    page.fill("#g-value", created["id"])
    page.fill("#g-fields", "Name")
    page.click("button:has-text('Get')")
    assert json.loads(page.locator("#records-result").inner_text())["Name"] == "Acme Renamed"
    shot(page, "records-try-it")

    page.fill("#c-values", "Nope__c=1")
    page.click("button:has-text('Create')")
    expect(page.locator("#records-error")).to_contain_text("Nope__c")
