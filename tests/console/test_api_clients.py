"""API clients in the browser: create (secret shown once), rotate, revoke; the secrets shown
are the ones /oauth/token accepts."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.console.conftest import Live, shot, sign_in


def _token_status(page: Page, client_id: str, secret: str) -> int:
    answer = page.request.post("/oauth/token", form={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
    })
    return answer.status


def test_create_rotate_revoke(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/api-clients")
    expect(page.locator(".empty")).to_contain_text("No API client yet")
    page.click("button:has-text('Create')")  # no name: the browser stops it; skip validation
    page.evaluate("document.querySelector('#f-name').removeAttribute('required')")
    page.click("button:has-text('Create')")
    expect(page.locator("#e-name")).to_be_visible()

    page.fill("#f-name", "Salesforce production")
    page.check("input[value='records:write']")
    page.click("button:has-text('Create')")
    client_id = page.locator("#client-id").inner_text()
    first = page.locator("#client-secret").inner_text()
    shot(page, "api-client-secret-once")
    assert _token_status(page, client_id, first) == 200

    page.goto("/api-clients")
    assert first not in page.content()  # shown once, never again
    expect(page.locator("tbody tr")).to_contain_text("records:write")
    page.click("button:has-text('Rotate secret')")
    second = page.locator("#client-secret").inner_text()
    assert second != first
    assert _token_status(page, client_id, first) == 401
    assert _token_status(page, client_id, second) == 200

    page.goto("/api-clients")
    page.click("button:has-text('Revoke')")
    expect(page.locator("tbody tr .badge")).to_have_text("revoked")
    assert _token_status(page, client_id, second) == 401
    shot(page, "api-clients")
