"""Every page at 1280 px and 390 px: nothing scrolls sideways, every input has a label, no
inline script; empty lists say what to do next."""

from __future__ import annotations

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
             "/runs", "/events", "/records", "/api-clients"]
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
