"""Integrations, runs and events in the browser: the list, plan, run now with live progress,
the run's events, resolve and retry, enable/disable with a reason."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from forcebridge.forms import manage
from forcebridge.services import integrations, pushed
from forcebridge.services.integrations import IntegrationInput
from tests.console.conftest import Live, Person, both_stores, shot, sign_in
from tests.emulated_org import connect
from tests.run_faces.conftest import push_config


def _invoices(live: Live, who: Person) -> str:
    """An entity sync of pushed invoices into the org (parent account by external id), on an
    hourly schedule, 3 records of which one has an amount that is no number."""
    live.emu.org.insert("Account", {"Name": "Acme", "External_Id__c": "A-1"})
    config = push_config()
    config["mapping"]["mappings"].append({
        "field": "Account__c", "column": "account",
        "transform": {"type": "reference", "external_id_field": "External_Id__c"},
    })
    with live.rt.db.begin() as s:
        connect(s, live.rt, who.tenant_id, live.emu)
        made = integrations.create(
            s, live.rt.vault, who.tenant_id,
            IntegrationInput(name="invoices", kind="entity_sync", connection="demo org",
                             config=config, schedule="7 * * * *"),
        )
        pushed.push(s, made, [
            {"number": "INV-1", "amount": "10.50", "account": "A-1"},
            {"number": "INV-2", "amount": "20", "account": "A-1"},
            {"number": "INV-3", "amount": "twelve", "account": "A-1"},
        ])
        return made.id


@both_stores
def test_plan_run_and_events_round_trip(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)
    sign_in(page, live, ann, then="/integrations")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("invoices")
    expect(row).to_contain_text("never run")
    expect(row).to_contain_text("every hour at :07 UTC")
    shot(page, "integrations-list")

    page.click("text=invoices")
    expect(page.locator("#schedule-words")).to_have_text("every hour at :07 UTC")
    page.click("button:has-text('Plan')")
    plan = page.locator("#plan")
    expect(plan).to_contain_text("A run now would:")
    counts = dict(zip(plan.locator("dt").all_inner_texts(), plan.locator("dd").all_inner_texts(), strict=True))
    assert counts["create"] == "2" and counts["reject (invalid)"] == "1", counts
    # record by record, field by field, in source order
    listed = plan.locator(".plan-record")
    expect(listed.locator(".record-key")).to_have_text(["INV-1", "INV-2", "INV-3"])
    expect(listed.locator(".badge")).to_have_text(["create", "create", "reject"])
    expect(listed.nth(0).locator(".plan-fields tbody tr", has_text="Amount__c")).to_contain_text("10.5")
    expect(listed.nth(0)).to_contain_text("parent by External_Id__c = A-1")
    expect(listed.nth(2).locator(".problems")).to_contain_text("Amount__c: not a number: 'twelve'")
    expect(page.locator("#plan-api-budget")).to_contain_text(re.compile(r"API budget: [\d,]+ of"))
    assert page.url.endswith(f"/integrations/{integration_id}")  # htmx swapped it in place
    shot(page, "integration-plan")

    page.click("button:has-text('Run now')")
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    expect(page.locator("#run-status")).to_have_text(re.compile("partial|succeeded"), timeout=30_000)
    expect(page.locator("#run-counts")).to_contain_text("created 2")
    expect(page.locator("#run-counts")).to_contain_text("failed 1")
    shot(page, "run-detail")
    events = page.locator(".events-form tbody tr")
    expect(events).to_have_count(1)
    expect(events.first).to_contain_text("INV-3")

    page.click(".events-form tbody tr a")
    expect(page.locator("h1")).to_contain_text("Event")
    expect(page.locator("main")).to_contain_text("Amount__c: not a number: 'twelve'")
    shot(page, "event-detail")
    page.click("button:has-text('Resolve')")
    expect(page.locator(".badge").first).to_have_text("resolved")

    page.goto("/events")
    expect(page.locator(".empty")).to_contain_text("No open event")
    page.select_option("#f-status", "resolved")
    page.click("button:has-text('Filter')")
    expect(page.locator(".events-form tbody tr")).to_have_count(1)
    shot(page, "events-resolved")

    page.goto("/runs")
    expect(page.locator("table.runs tbody tr")).to_have_count(1)
    page.select_option("#f-status", "failed")
    page.click("button:has-text('Filter')")
    expect(page.locator(".empty")).to_contain_text("No run matches")

    # after the run, a changed amount plans as an update: the org's value beside the new one
    with live.rt.db.begin() as s:
        made = integrations.get(s, ann.tenant_id, integration_id)
        pushed.push(s, made, [{"number": "INV-2", "amount": "25", "account": "A-1"}])
    page.goto(f"/integrations/{integration_id}")
    page.click("button:has-text('Plan')")
    update = page.locator("#plan .plan-record", has_text="INV-2")
    expect(update.locator(".badge")).to_have_text("update")
    expect(update).to_contain_text("1 of 3 fields change; 1 cannot be compared with the org")
    amount = update.locator(".plan-fields tbody tr", has_text="Amount__c")
    expect(amount.locator("td").nth(1)).to_have_text("20.0")
    expect(amount.locator("td").nth(2)).to_have_text("25.0")
    expect(update.locator(".plan-fields tbody tr", has_text="Invoice_Number__c")).to_contain_text("(same)")
    shot(page, "integration-plan-update")


def test_retry_from_the_events_page_starts_a_retry_run(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)
    with live.rt.db.begin() as s:
        made = integrations.get(s, ann.tenant_id, integration_id)
        # its account is not in the org yet: the org rejects it, and the event keeps the payload
        pushed.push(s, made, [{"number": "INV-4", "amount": "4", "account": "A-2"}])
    sign_in(page, live, ann, then=f"/integrations/{integration_id}")
    page.click("button:has-text('Run now')")
    expect(page.locator("#run-counts")).to_contain_text("failed 2", timeout=30_000)
    page.goto("/events")
    rejected = page.locator(".events-form tbody tr", has_text="INV-4")
    expect(rejected).to_contain_text("A-2")
    shot(page, "events-open")
    # a record the source must fix cannot be resent: the page says so and changes nothing
    page.check(".events-form tbody tr:has-text('INV-3') input[type=checkbox]")
    page.click("button:has-text('Retry selected')")
    expect(page.locator(".error-box")).to_contain_text("has no record to resend")

    live.emu.org.insert("Account", {"Name": "Acme West", "External_Id__c": "A-2"})
    page.goto("/events")
    page.check(".events-form tbody tr:has-text('INV-4') input[type=checkbox]")
    page.click("button:has-text('Retry selected')")
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    expect(page.locator("#run-status")).to_have_text("succeeded", timeout=30_000)
    expect(page.locator("#run-panel")).to_contain_text("retry")
    page.goto("/events?status=retried")
    expect(page.locator(".events-form tbody tr")).to_have_count(1)
    expect(page.locator(".events-form tbody tr")).to_contain_text("INV-4")


def test_disable_with_a_reason_then_enable(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)
    sign_in(page, live, ann, then=f"/integrations/{integration_id}")
    page.fill("#reason", "org maintenance until Monday")
    page.click("button:has-text('Disable')")
    expect(page.locator("#disabled-reason")).to_have_text("Disabled: org maintenance until Monday")
    expect(page.locator("button:has-text('Run now')")).to_be_disabled()
    page.goto("/integrations")
    expect(page.locator("tbody tr").first).to_contain_text("org maintenance until Monday")
    shot(page, "integrations-disabled")
    page.goto(f"/integrations/{integration_id}")
    page.click("button:has-text('Enable')")
    expect(page.locator(".badge.status-enabled")).to_be_visible()


def test_another_tenants_integrations_runs_and_events_answer_404(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    bob = live.person("globex", "bob@globex.example")
    integration_id = _invoices(live, ann)
    sign_in(page, live, bob, then="/integrations")
    expect(page.locator(".empty")).to_contain_text("No integration yet")
    assert page.goto(f"/integrations/{integration_id}").status == 404  # type: ignore[union-attr]
    shot(page, "other-tenant-integration-404")
    token = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    for action in ("plan", "run", "enable", "disable"):
        answer = page.request.post(f"/integrations/{integration_id}/{action}", form={"csrf": token})
        assert answer.status == 404, action


def test_a_running_run_updates_without_reload(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)
    live.emu.faults("latency=800")  # every org call takes 0.8 s: the run lasts a few seconds
    sign_in(page, live, ann, then=f"/integrations/{integration_id}")
    page.click("button:has-text('Run now')")
    expect(page.locator("#run-status")).to_have_text("running")
    expect(page.locator("#run-panel")).to_contain_text("updating every second")
    shot(page, "run-running")
    page.evaluate("window.__samePage = true")
    expect(page.locator("#run-status")).to_have_text("partial", timeout=30_000)
    expect(page.locator("#run-counts")).to_contain_text("created 2")
    assert page.evaluate("window.__samePage") is True  # htmx swapped the panel in place


def test_dashboard_charts_what_runs_did(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)
    sign_in(page, live, ann, then=f"/integrations/{integration_id}")
    page.click("button:has-text('Run now')")
    expect(page.locator("#run-status")).to_have_text("partial", timeout=30_000)
    api_calls = int(page.locator("#run-panel dt:has-text('API calls') + dd").inner_text())
    page.goto("/connections/demo%20org")
    page.click("text=Test connection")  # authorized: the dashboard asks its org for limits
    expect(page.locator("#connection-status .badge")).to_have_text("authorized")
    page.goto("/")
    for chart in ("api", "written", "failures", "outbox"):
        expect(page.locator(f"#chart-{chart}[data-drawn]")).to_have_count(1)
    drawn = page.evaluate(
        """() => Object.fromEntries(["api", "written", "failures"].map(id => {
             const chart = window.Chart.getChart("chart-" + id);
             return [id, chart.data.datasets.map(d => [d.label, d.data.reduce((a, b) => a + b, 0)])];
           }))"""
    )
    assert drawn["api"][0] == ["demo org", api_calls]
    # the emulator's daily allocation, asked of the org, drawn beside the calls
    assert drawn["api"][1][0] == "demo org: daily allocation" and drawn["api"][1][1] > 0
    assert drawn["written"] == [["records written", 2], ["records failed", 1]]
    assert drawn["failures"] == [["events (failures)", 1]]
    expect(page.locator("#api-today")).to_contain_text(f"demo org {api_calls} of")
    shot(page, "dashboard")


def test_settings_schedule_preview_connection_and_notify(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)
    sign_in(page, live, ann, then=f"/integrations/{integration_id}/settings")
    preview = page.locator("#schedule-preview")
    expect(preview).to_contain_text("every hour at :07 UTC")
    page.fill("#f-schedule", "15 3 1 * *")
    expect(preview).to_contain_text("on day 1 of every month at 03:15 UTC")  # as it is typed
    page.fill("#f-schedule", "every tuesday")
    expect(preview.locator(".error-text")).to_contain_text("is not a cron expression")
    page.click("button:has-text('Save')")
    expect(page.locator("#e-schedule")).to_contain_text("is not a cron expression")
    shot(page, "integration-settings-error")

    page.fill("#f-schedule", "0 9 * * 1-5")
    page.check("input[name=notify][value='ann@acme.example']")
    page.select_option("#f-connection", "")
    page.click("button:has-text('Save')")
    expect(page.locator("#schedule-words")).to_have_text("every weekday (Monday to Friday) at 09:00 UTC")
    expect(page.locator("main")).to_contain_text("not connected")
    expect(page.locator("main")).to_contain_text("ann@acme.example")

    page.click("a:has-text('Settings')")
    page.select_option("#f-connection", "demo org")  # attached again, checked against the org
    page.click("button:has-text('Save')")
    expect(page.locator("dt:has-text('Connection') + dd")).to_have_text("demo org")


def test_mapping_editor_offers_the_orgs_fields_and_shows_its_refusal(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)
    sign_in(page, live, ann, then=f"/integrations/{integration_id}/mapping")
    offered = page.locator("#fields option").evaluate_all("els => els.map(e => e.value)")
    assert {"Amount__c", "Invoice_Number__c", "Status__c"} <= set(offered)
    assert "Id" not in offered and "CreatedDate" not in offered  # not writable
    expect(page.locator("#f-external_id_field")).to_have_value("Invoice_Number__c")
    fields = page.locator("input[name=field]")
    columns = page.locator("input[name=column]")
    expect(fields.nth(0)).to_have_value("Invoice_Number__c")
    fields.nth(3).fill("Nothing__c")
    columns.nth(3).fill("amount")
    page.click("button:has-text('Save')")
    expect(page.locator("#mapping-errors")).to_contain_text("Nothing__c")
    shot(page, "mapping-editor-error")

    page.locator("input[name=field]").nth(3).fill("")
    page.locator("input[name=column]").nth(3).fill("")
    page.fill("#f-allowed", "A-1, A-9")
    page.click("button:has-text('Save')")
    expect(page).to_have_url(re.compile(rf"/integrations/{integration_id}\?saved=mapping"))
    with live.rt.db.begin() as s:
        config = integrations.get(s, ann.tenant_id, integration_id).config
    assert config["filters"]["allowed_account_ids"] == ["A-1", "A-9"]
    assert [m["field"] for m in config["mapping"]["mappings"]] == [
        "Invoice_Number__c", "Amount__c", "Account__c"]
    assert config["mapping"]["mappings"][1]["transform"]["type"] == "number"  # kept


def test_form_mapping_offers_createable_fields_and_needs_the_required_ones(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    with live.rt.db.begin() as s:
        connect(s, live.rt, ann.tenant_id, live.emu)
        form_id = integrations.create(
            s, live.rt.vault, ann.tenant_id,
            IntegrationInput(name="web leads", kind="inbound_form", connection="demo org", config={
                "object": "Lead", "mappings": [
                    {"field": "LastName", "column": "last_name"},
                    {"field": "Company", "column": "company"},
                ]}),
        ).id
    sign_in(page, live, ann, then=f"/integrations/{form_id}")
    page.click("a:has-text('Mapping')")
    expect(page.locator("#required-fields")).to_contain_text("LastName")
    expect(page.locator("#required-fields")).to_contain_text("Company")
    offered = page.locator("#fields option").evaluate_all("els => els.map(e => e.value)")
    assert "Email" in offered and "Id" not in offered and "CreatedDate" not in offered
    page.locator("input[name=field]").nth(1).fill("")
    page.locator("input[name=column]").nth(1).fill("")
    page.locator("input[name=field]").nth(2).fill("Email")
    page.locator("input[name=column]").nth(2).fill("email")
    page.click("button:has-text('Save')")
    expect(page.locator("#mapping-errors")).to_contain_text("Company")
    shot(page, "form-mapping-required")

    # what was typed stays: LastName, Email, then empty rows
    expect(page.locator("input[name=field]").nth(1)).to_have_value("Email")
    page.locator("input[name=field]").nth(2).fill("Company")
    page.locator("input[name=column]").nth(2).fill("company")
    page.click("button:has-text('Save')")
    expect(page).to_have_url(re.compile(rf"/integrations/{form_id}\?saved=mapping"))
    with live.rt.db.begin() as s:
        config = integrations.get(s, ann.tenant_id, form_id).config
    assert [m["field"] for m in config["mappings"]] == ["LastName", "Email", "Company"]


def test_form_hook_secret_is_shown_once_at_rotation_never_again(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    with live.rt.db.begin() as s:
        connect(s, live.rt, ann.tenant_id, live.emu)
        form = integrations.create(
            s, live.rt.vault, ann.tenant_id,
            IntegrationInput(name="web leads", kind="inbound_form", connection="demo org", config={
                "object": "Lead", "mappings": [{"field": "LastName", "column": "last_name"},
                                               {"field": "Company", "column": "company"}]}),
        )
        form_id, first = form.id, manage.hook_info(s, live.rt.settings, live.rt.vault, form).secret
    sign_in(page, live, ann, then=f"/integrations/{form_id}")
    expect(page.locator("#hook-address")).to_contain_text(f"{live.url}/hooks/")
    expect(page.locator("#hook-secret-hidden")).to_contain_text("never again")
    assert first not in page.content()
    page.click("button:has-text('Rotate secret')")
    expect(page.locator("#hook-once")).to_contain_text("shown this once")
    secret = page.locator("#hook-secret").inner_text()
    assert secret and secret != first
    expect(page.locator("#hook-url")).to_contain_text(f"token={secret}")
    shot(page, "form-hook-secret-once")
    page.click("text=Done")
    assert secret not in page.content() and first not in page.content()
    # the new secret works and the old one stopped, through the hook itself
    base = page.locator("#hook-address").inner_text().split("?")[0]
    old = httpx.post(f"{base}?token={first}", data={"last_name": "Doe", "company": "Acme"})
    new = httpx.post(f"{base}?token={secret}", data={"last_name": "Doe", "company": "Acme"})
    assert old.status_code == 404 and new.status_code == 201, (old.text, new.text)
