"""Every page at 1280 px and 390 px: nothing scrolls sideways, every input has a label, no
inline script; empty lists say what to do next."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import Live, shot, sign_in
from tests.console.test_integrations import _invoices

UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(el => el.type !== 'hidden' && !el.closest('[hidden]'))
  .filter(el => !el.getAttribute('aria-label') && !el.closest('label')
                && !(el.id && document.querySelector(`label[for="${el.id}"]`)))
  .map(el => el.name || el.id)"""


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_fits_labels_its_inputs_and_runs_no_inline_script(page: Page, live: Live, width: int) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live, ann, then="/")
    from forcebridge.services import connections

    with live.rt.db.begin() as s:
        conn_id = connections.list_all(s, ann.tenant_id)[0].id
    paths = ["/", "/connections", "/connections/new", f"/connections/{conn_id}",
             f"/connections/{conn_id}/edit", f"/connections/{conn_id}/delete", "/integrations",
             "/integrations/new", f"/integrations/{integration_id}",
             f"/integrations/{integration_id}/mapping", f"/integrations/{integration_id}/settings",
             "/runs", "/events", "/records", "/api-clients", "/alerts"]
    for path in paths:
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{path} scrolls sideways at {width} px ({wide} px)"
        assert page.evaluate(UNLABELLED) == [], f"inputs without a label on {path}"
        assert page.locator("script:not([src])").count() == 0, f"inline script on {path}"
    page.goto(f"/integrations/{integration_id}")
    page.click("button:has-text('Plan')")
    expect(page.locator("#plan .plan-record")).to_have_count(3)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"the plan scrolls sideways at {width} px ({wide} px)"
    if width == 390:
        shot(page, "integration-plan-390px")
        page.goto("/integrations/new")
        shot(page, "integration-new-390px")


def test_empty_lists_say_what_to_do_next(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    sign_in(page, live, ann, then="/")
    hints = {"/connections": "Connect an org", "/integrations": "Create an entity sync",
             "/runs": "Define an integration first", "/events": "nothing is waiting for you",
             "/api-clients": "Create one below"}
    for path, hint in hints.items():
        page.goto(path)
        expect(page.locator(".empty")).to_contain_text(hint)
    shot(page, "empty-api-clients")


def test_times_show_in_the_viewers_zone_with_utc_on_hover(page: Page, live: Live) -> None:
    ann = live.person("acme", "ann@acme.example")
    integration_id = _invoices(live, ann)  # scheduled at :07 every hour
    sign_in(page, live, ann, then=f"/integrations/{integration_id}")
    first = page.locator("dd time[datetime]").first
    expect(first).to_have_attribute("data-local", "")  # rewritten by console.js
    utc, local = first.get_attribute("title") or "", first.inner_text()
    # the browser is in Europe/Paris (UTC+1 in winter, +2 in summer): the hour moves
    assert re.fullmatch(r"\d{4}-\d\d-\d\d (\d\d):07:00 UTC", utc), utc
    assert "GMT+1" in local or "GMT+2" in local, local
    hour = int(utc[11:13])
    shown = int(re.search(r"(\d\d):07:00", local)[1])  # type: ignore[index]
    assert shown % 12 in {(hour + 1) % 12, (hour + 2) % 12}, (utc, local)
    shot(page, "times-local-utc-on-hover")
