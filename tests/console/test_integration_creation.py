"""Creating an entity sync in the browser: a granted data source, the org's objects and the
fields the mode can write offered from its live describe, required ones marked, the schedule
in words, and the org's refusal shown beside what was typed."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from forcebridge.services import integrations
from tests.console.conftest import Live, both_stores, shot, sign_in
from tests.emulated_org import connect
from tests.granted import grant_files


def _offered(page: Page) -> list[str]:
    return page.locator("#fields option").evaluate_all("els => els.map(e => e.value)")


@both_stores
def test_create_an_entity_sync_from_a_granted_file_with_fields_from_the_org(
    page: Page, live: Live, tmp_path: Path,
) -> None:
    ann = live.person("acme", "ann@acme.example")
    root = tmp_path / "exports"
    root.mkdir()
    (root / "invoices.csv").write_text("number,amount\nINV-1,10.50\nINV-2,20\n")
    with live.rt.db.begin() as s:
        connect(s, live.rt, ann.tenant_id, live.emu)
    grant_files(live.rt, ann.tenant_id, root, name="exports")
    sign_in(page, live, ann, then="/integrations")
    expect(page.locator(".empty")).to_contain_text("Create an entity sync")
    page.click("a:has-text('New entity sync')")
    expect(page.locator("#granted-sources")).to_contain_text("exports")

    page.fill("#f-name", "invoices from files")
    page.select_option("#f-source", "files:exports")
    expect(page.locator("#f-path")).to_be_visible()
    expect(page.locator("#f-table")).to_be_hidden()
    page.fill("#f-path", "invoices.csv")
    page.fill("#f-key_column", "number")
    # objects come from the org; a picked object's writable fields follow, required marked
    assert "Invoice__c" in page.locator("#objects option").evaluate_all("els => els.map(e => e.value)")
    page.fill("#f-object", "Lead")
    page.locator("#f-object").dispatch_event("change")
    expect(page.locator("#offered-fields .required-field")).to_have_text(["LastName", "Company"])
    assert "Email" in _offered(page) and "Id" not in _offered(page) and "CreatedDate" not in _offered(page)
    page.select_option("#f-mode", "update")
    expect(page.locator("#offered-fields")).not_to_contain_text("required")
    page.select_option("#f-mode", "upsert")
    page.fill("#f-object", "Invoice__c")
    page.locator("#f-object").dispatch_event("change")
    expect(page.locator("#offered-fields")).to_contain_text("of Invoice__c")
    assert {"Amount__c", "Invoice_Number__c", "Status__c"} <= set(_offered(page))
    ids = page.locator("#lookups option").evaluate_all("els => els.map(e => e.value)")
    assert "Invoice_Number__c" in ids
    page.fill("#f-external_id_field", "Invoice_Number__c")
    fields, columns = page.locator("input[name=field]"), page.locator("input[name=column]")
    fields.nth(0).fill("Invoice_Number__c")
    columns.nth(0).fill("number")
    fields.nth(1).fill("Amount__c")
    columns.nth(1).fill("amonut")  # a typo the org check catches against the file's header
    page.fill("#f-schedule", "7 * * * *")
    expect(page.locator("#schedule-preview")).to_contain_text("every hour at :07 UTC")
    page.check("input[name=notify]")
    shot(page, "integration-new")
    page.click("button:has-text('Create')")

    expect(page.locator("#create-errors")).to_contain_text("column 'amonut' is not in the source")
    expect(page.locator("tr.has-error input[name=field]")).to_have_value("Amount__c")
    expect(page.locator("#f-path")).to_have_value("invoices.csv")  # what was typed is kept
    expect(page.locator("#f-source")).to_have_value("files:exports")
    shot(page, "integration-new-refused")
    with live.rt.db.begin() as s:
        assert integrations.list_all(s, ann.tenant_id) == []  # nothing saved
    page.locator("input[name=column]").nth(1).fill("amount")
    page.click("button:has-text('Create')")

    expect(page).to_have_url(re.compile(r"/integrations/[0-9a-f]{32}\?saved=created$"))
    expect(page.locator("#created-notice")).to_be_visible()
    expect(page.locator("#schedule-words")).to_have_text("every hour at :07 UTC")
    expect(page.locator("#source")).to_contain_text("csv of data source exports: invoices.csv")
    with live.rt.db.begin() as s:
        (made,) = integrations.list_all(s, ann.tenant_id)
        view = integrations.public_view(s, made, live.rt.vault)
    assert view.connection == "demo org" and view.notify == [ann.email]
    assert view.config["source"] == {**view.config["source"], "kind": "csv", "name": "exports",
                                     "path": "invoices.csv", "key_column": "number"}
    assert [m["field"] for m in view.config["mapping"]["mappings"]] == ["Invoice_Number__c", "Amount__c"]
    page.click("button:has-text('Plan')")
    expect(page.locator("#plan")).to_contain_text("A run now would:")


def test_a_source_not_granted_and_a_bad_schedule_are_named(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    with live.rt.db.begin() as s:
        connect(s, live.rt, ann.tenant_id, live.emu)
    sign_in(page, live, ann, then="/integrations/new")
    expect(page.locator("#granted-sources")).to_contain_text("No database or file root is granted")
    page.fill("#f-name", "pushed")
    page.fill("#f-key_column", "number")
    page.fill("#f-object", "Invoice__c")
    page.fill("#f-external_id_field", "Invoice_Number__c")
    page.locator("input[name=field]").nth(0).fill("Invoice_Number__c")
    page.locator("input[name=column]").nth(0).fill("number")
    page.fill("#f-schedule", "every hour")
    expect(page.locator("#schedule-preview")).to_contain_text("not a cron expression")
    page.click("button:has-text('Create')")
    expect(page.locator("[data-field=schedule] .error-text, #e-schedule")).to_contain_text("not a cron expression")
    shot(page, "integration-new-bad-schedule")
    page.fill("#f-schedule", "")
    expect(page.locator("#schedule-preview")).to_contain_text("every hour, at a minute from :00 to :09")
    page.click("button:has-text('Create')")
    expect(page).to_have_url(re.compile(r"/integrations/[0-9a-f]{32}\?saved=created$"))
    expect(page.locator("#source")).to_contain_text("records pushed through the API")
