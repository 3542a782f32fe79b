"""`forcebridge demo --serve`: after the demo, the console shows its data and the org it
synced into is still there (Run now succeeds against it)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from forcebridge.demo.extras import EVENTS_NAME, FORM_NAME
from forcebridge.demo.integrations import INTEGRATIONS
from tests.console.conftest import shot


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The demo served on a free port; its URL and the printed password."""
    port = _free_port()
    env = os.environ | {"FORCEBRIDGE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    cli = Path(sys.executable).with_name("forcebridge")
    proc = subprocess.Popen(
        [str(cli), "demo", "--serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        password, seen = None, []
        deadline = time.monotonic() + 240
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                pytest.fail("demo --serve ended early:\n" + "".join(seen[-40:]))
            seen.append(line)
            found = re.search(r"password (\S+)", line)
            password = found[1] if found else password
            if "Uvicorn running" in line or "Application startup complete" in line:
                break
        assert password, "".join(seen[-40:])
        yield f"http://127.0.0.1:{port}", password
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_demo_serve_opens_the_console_on_the_demos_data(browser: Browser, demo_server: tuple[str, str]) -> None:
    url, password = demo_server
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page: Page = context.new_page()
    try:
        page.goto("/")
        page.fill("#email", "operator@example.com")
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.goto("/integrations")
        rows = page.locator("tbody tr")
        for item in INTEGRATIONS:
            expect(rows.filter(has_text=item.name)).to_contain_text("succeeded")
        shot(page, "demo-integrations")
        page.goto("/")
        expect(page.locator("canvas[data-drawn]")).to_have_count(4)
        shot(page, "demo-dashboard")
        page.goto("/connections")
        expect(page.locator("tbody tr").first).to_contain_text("authorized")
        page.goto("/runs")
        expect(page.locator("table.runs tbody tr")).to_have_count(2 * len(INTEGRATIONS))

        # the demo's form and its posts; the outbox of its event publishing
        page.goto("/integrations")
        page.click(f"text={FORM_NAME}")
        expect(page.locator("table.posts tbody tr").first).to_contain_text("created")
        expect(page.locator("#hook-address")).to_contain_text(f"{url}/hooks/")
        shot(page, "demo-form-hook")
        page.goto("/integrations")
        page.click(f"text={EVENTS_NAME}")
        expect(page.locator("#outbox-delivered")).to_have_text("3")
        expect(page.locator("#outbox-dead")).to_have_text("0")
        shot(page, "demo-outbox")

        # the org is still alive in the demo's process: a run now reaches it
        page.goto("/integrations")
        page.click(f"text={INTEGRATIONS[0].name}")
        page.click("button:has-text('Run now')")
        expect(page.locator("#run-status")).to_have_text("succeeded", timeout=60_000)
        expect(page.locator("#run-counts")).to_contain_text("created 0")
        shot(page, "demo-run-now")
    finally:
        context.close()
