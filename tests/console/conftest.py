"""The console under a real browser: forcebridge and the emulator each on a socket, Chromium
headless (Debian's /usr/bin/chromium, driven by Playwright), one signed-in user per tenant.

Screenshots go to FORCEBRIDGE_TEST_SCREENSHOTS (default build/screenshots), which `make test`
prints, for people to look at.

The store is SQLite by default. The flows that touch the store differently (sign-in and its
sessions, save & authorize, the plan / run / events round trip, creating an integration,
deleting a connection) run on PostgreSQL as well (`both_stores`); the rest of the browser suite
runs once, on SQLite, to keep CI short: the services behind every page are tested on both
databases in their own folders.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.services import tenants, users
from forcebridge.settings import Settings
from tests.conftest import _postgres_database
from tests.salesforce.emulated import Emulated, listening_socket, on_socket, serving

# a shared machine can be slow: wait up to 20 s for what a page should show
expect.set_options(timeout=20_000)
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "correct horse battery"
SCREENSHOTS = Path(
    os.environ.get("FORCEBRIDGE_TEST_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "build" / "screenshots"
)


@dataclass
class Person:
    tenant_id: str
    user_id: str
    email: str
    password: str = PASSWORD


@dataclass
class Live:
    """forcebridge on a socket, with its runtime and the emulated org it reaches."""

    url: str
    rt: Runtime
    emu: Emulated

    def person(self, tenant: str, email: str, *, admin: bool = True) -> Person:
        """A tenant (created if new) and a user of it who can sign in."""
        with self.rt.db.begin() as s:
            found = [t for t in tenants.list_all(s) if t.name == tenant]
            t = found[0] if found else tenants.create(s, tenant)
            user = users.create(s, t.id, email.split("@")[0].title(), email, admin=admin)
            users.set_password(s, t.id, user.id, PASSWORD)
            return Person(t.id, user.id, email)


both_stores = pytest.mark.parametrize("live", ["sqlite", "postgresql"], indirect=True)
"""Runs the test with the store on SQLite and on PostgreSQL."""


@pytest.fixture
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    """forcebridge on a socket over a fresh store: SQLite, or PostgreSQL when the test is
    marked `both_stores`."""
    which = getattr(request, "param", "sqlite")
    if which == "postgresql":
        databases = _postgres_database()
        database_url = next(databases)
    else:
        databases = None
        database_url = f"sqlite:///{tmp_path / 'console.db'}"
    try:
        yield from _serve(tmp_path, database_url)
    finally:
        if databases is not None:
            databases.close()  # drops the database


def _serve(tmp_path: Path, database_url: str) -> Iterator[Live]:
    sock, url = listening_socket()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url=url,
        scheduler=False,
        log_format="json",
        alert_allowed_hosts=["127.0.0.1"],  # the alert receivers of the console tests
    )
    rt = Runtime(settings)
    rt.migrate()
    try:
        with on_socket() as emu, serving(create_app(rt), sock, lifespan="on"):
            yield Live(url, rt, emu)
    finally:
        rt.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/services.sh install puts Debian's chromium there")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live: Live) -> Iterator[Page]:
    """A fresh browser context (no cookies) at 1280 px; CSP violations fail the test."""
    context = browser.new_context(
        base_url=live.url, viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris"
    )
    context.set_default_timeout(20_000)
    tab = context.new_page()
    violations: list[str] = []
    tab.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield tab
    context.close()
    assert not violations, f"the page broke its Content-Security-Policy: {violations}"


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot for people to look at (not compared)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, live: Live, who: Person, *, then: str = "/") -> None:
    page.goto(then)
    page.fill("#email", who.email)
    page.fill("#password", who.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
