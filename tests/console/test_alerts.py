"""Alerts in the browser: add a Slack channel and a webhook (signing secret shown once), send
a test message that a real receiver gets, see a failing channel's reason, delete."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.alerts.receiver import receiver
from tests.console.conftest import Live, shot, sign_in


def test_add_test_and_delete_channels(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/alerts")
    expect(page.locator(".empty")).to_contain_text("No alert channel yet")
    with receiver("/services/T1/B1/xoxsecretpath") as slack:
        page.fill("#f-name", "on-call Slack")
        page.select_option("#f-kind", "slack")
        page.fill("#f-url", slack.url)
        page.check("#rule-failed_runs")
        page.fill("#f-failed_runs", "4")
        page.click("button:has-text('Add channel')")
        row = page.locator("tr[data-channel='on-call Slack']")
        expect(row).to_contain_text("failed runs: 4 in a row")
        assert "xoxsecretpath" not in page.content()  # the Slack URL is a credential: host only

        row.locator("button:has-text('Send test')").click()
        expect(page.locator("#alert-notice")).to_have_text("Test message sent to on-call Slack.")
        assert len(slack.received) == 1 and "Test" in slack.received[0].json["text"]

    page.fill("#f-name", "pager")
    page.select_option("#f-kind", "webhook")
    page.fill("#f-url", "http://127.0.0.1:9/unreachable")
    page.click("button:has-text('Add channel')")
    secret = page.locator("#signing-secret").inner_text()
    assert secret.startswith("fbwh_")
    shot(page, "alert-signing-secret-once")
    page.goto("/alerts")
    assert secret not in page.content()
    page.locator("tr[data-channel='pager'] button:has-text('Send test')").click()
    expect(page.locator("#alert-notice")).to_contain_text("not sent: no answer")
    expect(page.locator("tr[data-channel='pager']")).to_contain_text("pending")
    shot(page, "alerts")

    page.fill("#f-name", "mail")
    page.select_option("#f-kind", "email")
    page.fill("#f-recipients", "not-an-address")
    page.click("button:has-text('Add channel')")
    expect(page.locator("#e-recipients")).to_contain_text("email address")

    page.goto("/alerts")
    page.locator("tr[data-channel='pager'] button:has-text('Delete')").click()
    expect(page.locator("tr[data-channel='pager']")).to_have_count(0)
    expect(page.locator("tr[data-channel='on-call Slack']")).to_have_count(1)
