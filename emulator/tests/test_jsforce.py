"""jsforce (Node), unmodified, against the emulator over TLS: SOAP login and logout, OAuth
password, JWT bearer, web server + refresh, describe, CRUD, upsert, collections with retrieve,
SOQL paging, Bulk API 2.0 ingest and query, Apex REST, limits and error bodies.

jsforce comes from npm into emulator/tests/js/node_modules (`make test` runs `npm ci` there);
the checks are in emulator/tests/js/compat.js, run once, each reported here as its own test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.oauth_support import keypair

from forcebridge_emulator import ConnectedAppConfig
from forcebridge_emulator.testing import on_socket

JS_DIR = Path(__file__).resolve().parent / "js"
CHECKS = [
    "soap_login_and_logout",
    "oauth_password",
    "jwt_bearer",
    "web_server_and_refresh",
    "describe",
    "crud",
    "upsert",
    "collections_and_retrieve",
    "bulk2_ingest_and_query_then_soql_paging",
    "apex_rest",
    "limits",
    "error_bodies",
]
REDIRECT = "http://localhost:9/callback"


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, dict[str, str]]]:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "jsforce").is_dir():
        pytest.fail("jsforce is not installed: run `npm ci` in emulator/tests/js (make test does)")
    pair = keypair("jsforce")
    app = ConnectedAppConfig(
        name="jsforce",
        consumer_key="jsforce-consumer-key",
        consumer_secret="jsforce-consumer-secret",
        callback_urls=[REDIRECT],
        certificate_pem=pair.certificate_pem,
        scopes=["api", "refresh_token", "id", "web"],
    )
    with on_socket(tls=True) as org:
        org.state.oauth.add_connected_app(app)
        login = org.login
        env = {
            **os.environ,
            "NODE_EXTRA_CA_CERTS": str(org.ca_certificate),
            "EMU_URL": org.base_url,
            "EMU_USERNAME": login["username"],
            "EMU_PASSWORD": login["password"],
            "EMU_SECURITY_TOKEN": login["security_token"],
            "EMU_CLIENT_ID": app.consumer_key,
            "EMU_CLIENT_SECRET": app.consumer_secret,
            "EMU_REDIRECT_URI": REDIRECT,
            "EMU_JWT_KEY": pair.private_pem,
        }
        run = subprocess.run(
            [node, "compat.js"], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=240
        )
    assert run.returncode == 0, run.stderr
    yield {r["name"]: r for r in json.loads(run.stdout.strip().splitlines()[-1])}


@pytest.mark.parametrize("check", CHECKS)
def test_jsforce(results: dict[str, dict[str, str]], check: str) -> None:
    assert check in results, f"compat.js did not run {check}"
    assert results[check]["ok"], results[check].get("error")


def test_every_check_of_the_script_is_asserted(results: dict[str, dict[str, str]]) -> None:
    assert sorted(results) == sorted(CHECKS)
