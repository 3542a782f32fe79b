"""Sign-in, sign-out, session expiry, CSRF, tenant isolation and headers, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import update

from forcebridge.services import connections
from forcebridge.services.connections import ConnectionInput
from forcebridge.store.console import ConsoleSession
from forcebridge.store.types import utcnow
from tests.console.conftest import Live, both_stores, shot, sign_in


@both_stores
def test_sign_in_wrong_password_then_right_then_sign_out(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    page.goto("/connections")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fconnections"))
    page.fill("#email", ann.email)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("#sign-in-error")).to_have_text("wrong email or password")
    expect(page.locator("#email")).to_have_value(ann.email)
    shot(page, "sign-in-wrong-password")

    page.fill("#password", ann.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(live.url + "/connections")
    expect(page.locator("h1")).to_have_text("Connections")
    expect(page.locator(".empty")).to_contain_text("No connection yet")
    cookie = next(c for c in page.context.cookies() if c["name"] == "fb_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    shot(page, "connections-empty")

    page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    assert not [c for c in page.context.cookies() if c["name"] == "fb_session"]
    page.goto("/connections")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    # the old cookie is dead on the server too, not only forgotten by the browser
    page.context.add_cookies([cookie])
    page.goto("/connections")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


@both_stores
def test_idle_and_absolute_expiry_send_back_to_sign_in(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/connections")
    expect(page.locator("h1")).to_have_text("Connections")
    idle = live.rt.settings.console_session_idle_minutes
    with live.rt.db.begin() as s:
        s.execute(update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(minutes=idle + 1)))
    page.goto("/connections")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fconnections&reason="))
    expect(page.locator(".notice")).to_have_text("your session expired; sign in again")
    shot(page, "sign-in-session-expired")

    # in use all along, a session still ends at its absolute limit
    page.fill("#email", ann.email)
    page.fill("#password", ann.password)
    page.click("button[type=submit]")
    expect(page).to_have_url(live.url + "/connections")
    hours = live.rt.settings.console_session_max_hours
    with live.rt.db.begin() as s:
        s.execute(update(ConsoleSession).values(created_at=utcnow() - timedelta(hours=hours, minutes=1)))
    page.goto("/")
    expect(page.locator(".notice")).to_have_text("your session expired; sign in again")


def test_state_changing_requests_without_the_csrf_token_are_refused(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/connections/new")
    # the browser's own cookies, but no token: what a forged cross-site form would send
    forged = page.request.post("/connections/new", form={"name": "forged", "environment": "production",
                                                         "auth_flow": "client_credentials"})
    assert forged.status == 403 and "security token" in forged.text()
    wrong = page.request.post("/sign-out", form={"csrf": "guessed"})
    assert wrong.status == 403
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    elsewhere = page.request.post(
        "/sign-out", form={"csrf": token or ""}, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status == 403
    with live.rt.db.begin() as s:
        assert connections.list_all(s, ann.tenant_id) == []
    page.goto("/connections")
    expect(page.locator("h1")).to_have_text("Connections")  # still signed in
    page.set_content(forged.text())  # what the refused request answered
    shot(page, "csrf-refused")


def test_another_tenants_pages_answer_404(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    bob = live.person("globex", "bob@globex.example")
    with live.rt.db.begin() as s:
        theirs = connections.create(
            s, live.rt.vault, ann.tenant_id,
            ConnectionInput(name="acme org", environment="production", auth_flow="client_credentials",
                            consumer_key="k", consumer_secret="s"),
        ).id
    sign_in(page, live, bob, then="/connections")
    expect(page.locator(".empty")).to_be_visible()
    for path in (f"/connections/{theirs}", f"/connections/{theirs}/edit",
                 f"/connections/{theirs}/certificate.crt", "/connections/acme%20org"):
        assert page.goto(path).status == 404, path  # type: ignore[union-attr]
    expect(page.locator("h1")).to_have_text("Not found")
    token = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    for action in ("authorize", "test", "edit"):
        answer = page.request.post(f"/connections/{theirs}/{action}", form={"csrf": token})
        assert answer.status == 404, action
    shot(page, "other-tenant-404")


def test_security_headers_and_no_inline_script(page: Page, live: Live) -> None:
    answer = page.goto("/sign-in")
    assert answer is not None
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert answer.headers["x-frame-options"] == "DENY"
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/connections/new")
    for path in ("/", "/connections", "/connections/new"):
        page.goto(path)
        scripts = page.locator("script")
        for i in range(scripts.count()):
            assert scripts.nth(i).get_attribute("src"), f"inline script on {path}"
    # htmx and the console's script did load under that policy
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.forcebridgeConsole") == "object"
    shot(page, "connection-form-under-csp")
