"""Connections in the browser: the per-flow form, errors beside fields, Save & authorize
through the emulator's own login page on a socket, Test connection, JWT key pairs."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from forcebridge.salesforce.certificates import jwt_keypair
from forcebridge.services import connections
from tests.console.conftest import Live, both_stores, shot, sign_in


def _fill_common(page: Page, live: Live, name: str, flow: str) -> None:
    app = live.emu.org.config.connected_apps[0]
    page.fill("#f-name", name)
    page.select_option("#f-environment", "custom")
    page.fill("#f-login_url", live.emu.base_url)
    page.select_option("#f-auth_flow", flow)
    page.fill("#f-consumer_key", app.consumer_key)


@both_stores
def test_web_server_save_and_authorize_through_the_emulators_login_page(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/connections/new")
    callback = page.locator("#callback-url").inner_text()
    assert callback == live.url + "/api/v1/oauth/callback"
    # what the user does in Setup: the connected app accepts forcebridge's callback URL
    live.emu.org.config.connected_apps[0].callback_urls.append(callback)
    _fill_common(page, live, "Acme production", "web_server")
    # only the fields this flow needs are offered
    expect(page.locator("#f-consumer_secret")).to_be_visible()
    for hidden in ("#f-password", "#f-security_token", "#f-username", "#f-private_key"):
        expect(page.locator(hidden)).to_be_hidden()
    page.fill("#f-consumer_secret", live.emu.org.config.connected_apps[0].consumer_secret)
    page.fill("#f-concurrency", "4")
    expect(page.locator("#f-api_budget_percent")).to_have_value("80")
    page.fill("#f-api_budget_percent", "60")
    shot(page, "connection-form-web-server")
    page.click("text=Save & authorize")

    # Salesforce's (the emulator's) login page, served on its own socket
    expect(page).to_have_url(re.compile(re.escape(live.emu.base_url) + r"/services/oauth2/authorize\?"))
    user = live.emu.org.config.users[0]
    page.fill("#username", user.username)
    page.fill("#password", user.password)
    shot(page, "emulator-login-page")
    page.click("#Login")

    expect(page).to_have_url(re.compile(r"/connections/[0-9a-f]{32}\?done=oauth"))
    expect(page.locator("#connection-status .badge")).to_have_text("authorized")
    expect(page.locator("#connection-status")).to_contain_text(live.emu.org.config.org_id)
    shot(page, "connection-authorized")
    with live.rt.db.begin() as s:
        (conn,) = connections.list_all(s, ann.tenant_id)
        assert conn.status == "authorized" and conn.refresh_token and conn.concurrency == 4
        assert conn.api_budget_percent == 60
    expect(page.locator("#api-budget")).to_contain_text("60 %")

    page.click("text=Test connection")
    expect(page.locator(".notice")).to_have_text("Connection tested. Status: authorized.")
    page.goto("/connections")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Acme production")
    expect(row).to_contain_text("authorized")
    shot(page, "connections-list")


def test_errors_show_beside_their_fields_and_nothing_is_saved(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/connections/new")
    _fill_common(page, live, "Acme", "password")
    page.fill("#f-login_url", "ftp://nowhere.example")
    page.fill("#f-username", "someone@acme.example")
    page.click("text=Save & authorize")
    expect(page.locator("#e-login_url")).to_contain_text("must be an https:// URL")
    expect(page.locator("#f-login_url")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-name")).to_have_value("Acme")  # what was typed is kept
    page.fill("#f-login_url", live.emu.base_url)
    page.click("text=Save & authorize")
    expect(page.locator("#e-password")).to_have_text("required for auth_flow password")
    expect(page.locator("#e-consumer_secret")).to_have_text("required for auth_flow password")
    expect(page.locator(".error-box")).to_contain_text("password")
    shot(page, "connection-form-errors")
    with live.rt.db.begin() as s:
        assert connections.list_all(s, ann.tenant_id) == []


def test_password_flow_failure_shows_salesforces_reason_then_edit_fixes_it(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    user, app = live.emu.org.config.users[0], live.emu.org.config.connected_apps[0]
    sign_in(page, live, ann, then="/connections/new")
    _fill_common(page, live, "Acme", "password")
    page.fill("#f-consumer_secret", app.consumer_secret)
    page.fill("#f-username", user.username)
    page.fill("#f-password", "wrong password")
    page.click("text=Save & authorize")
    expect(page.locator("#connection-status .badge")).to_have_text("failed")
    expect(page.locator("#connection-status .reason")).to_contain_text("invalid_grant")
    shot(page, "connection-failed")

    page.click("text=Edit")
    expect(page.locator("#f-password + .hint, #h-password")).to_contain_text("leave empty to keep it")
    page.fill("#f-password", user.password)
    page.fill("#f-security_token", user.security_token)
    page.click("text=Save & authorize")
    expect(page.locator("#connection-status .badge")).to_have_text("authorized")


def test_jwt_generate_key_pair_and_download_the_certificate(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/connections/new")
    _fill_common(page, live, "Acme JWT", "jwt_bearer")
    page.fill("#f-username", live.emu.org.config.users[0].username)
    page.check("#f-generate_keypair")
    page.click("button[value=save]")
    expect(page.locator("h1")).to_have_text("Acme JWT")
    shot(page, "connection-jwt-certificate")
    with page.expect_download() as download:
        page.click("text=Download the certificate")
    pem = open(download.value.path()).read()
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY" not in page.content()
    with live.rt.db.begin() as s:
        (conn,) = connections.list_all(s, ann.tenant_id)
        assert conn.certificate == pem and conn.private_key


def test_pages_fit_a_390px_phone(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live, ann, then="/connections/new")
    for path in ("/", "/connections", "/connections/new"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways at 390 px ({width} px)"
    shot(page, "connection-form-390px")
    # keyboard order follows the form: name, environment, flow, consumer key
    page.focus("#f-name")
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id"))
    assert order == ["f-environment", "f-auth_flow", "f-consumer_key"]


@both_stores
def test_delete_refused_while_integrations_use_it_then_forced(page: Page, live: Live) -> None:
    from forcebridge.services import events, integrations
    from forcebridge.services.integrations import IntegrationInput
    from tests.emulated_org import connect
    from tests.run_faces.conftest import push_config

    ann = live.person("acme", "ann@acme.example")
    with live.rt.db.begin() as s:
        connect(s, live.rt, ann.tenant_id, live.emu, "spare org")
        conn_id = connect(s, live.rt, ann.tenant_id, live.emu, "old org")
        made = integrations.create(s, live.rt.vault, ann.tenant_id, IntegrationInput(
            name="invoices", kind="entity_sync", connection="old org", config=push_config()))
        integration_id = made.id
    sign_in(page, live, ann, then="/connections")
    # an unused connection goes at once, after the confirmation page
    page.click("text=spare org")
    page.click("a:has-text('Delete')")
    expect(page.locator("h1")).to_have_text("Delete spare org?")
    page.click("button:has-text('Delete connection')")
    expect(page.locator("#deleted-notice")).to_have_text("Connection spare org was deleted.")

    # one in use: the service's refusal (409), naming the integration, and the forced delete
    page.goto(f"/connections/{conn_id}/delete")
    page.click("button:has-text('Delete connection')")
    expect(page.locator("#delete-refusal")).to_contain_text("is used by 1 integration(s): invoices")
    expect(page.locator("#delete-using li")).to_have_text(["invoices"])
    shot(page, "connection-delete-in-use")
    with live.rt.db.begin() as s:
        assert connections.get(s, ann.tenant_id, conn_id).name == "old org"  # nothing deleted
    page.click("button:has-text('Delete it and disconnect 1 integration')")
    expect(page.locator("#disconnected li")).to_have_count(1)
    expect(page.locator("#disconnected")).to_contain_text("invoices")
    shot(page, "connection-deleted-forced")
    page.goto("/connections")
    expect(page.locator("tbody tr")).to_have_count(0)
    expect(page.locator(".empty")).to_contain_text("No connection yet")
    with live.rt.db.begin() as s:
        assert integrations.get(s, ann.tenant_id, integration_id).connection_id is None
        found = events.list_events(s, ann.tenant_id, integration="invoices", status="open")
        assert [e.kind for e in found.items] == ["connection_deleted"]


def test_ca_bundle_is_checked_beside_its_field_and_shown(page: Page, live: Live, tmp_path: Path) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/connections/new")
    _fill_common(page, live, "Private CA org", "client_credentials")
    page.fill("#f-consumer_secret", live.emu.org.config.connected_apps[0].consumer_secret)
    page.fill("#f-ca_bundle", str(tmp_path / "missing.pem"))
    page.click("button[value=save]")
    expect(page.locator("[data-field=ca_bundle] .error-text")).to_contain_text("cannot read")
    shot(page, "connection-ca-bundle-error")
    expect(page.locator("#f-ca_bundle")).to_have_value(str(tmp_path / "missing.pem"))
    bundle = tmp_path / "ca.pem"
    bundle.write_text(jwt_keypair("test CA").certificate_pem)
    page.fill("#f-consumer_secret", live.emu.org.config.connected_apps[0].consumer_secret)
    page.fill("#f-ca_bundle", str(bundle))
    page.click("button[value=save]")
    expect(page.locator("#ca-bundle")).to_have_text(str(bundle))
    page.click("a:has-text('Edit')")
    page.fill("#f-ca_bundle", "")
    page.click("button[value=save]")
    expect(page.locator("#ca-bundle")).to_have_text("the system's")
