"""The emulator on a real socket: TLS certificate, start-up banner, CLI errors, and a fault
that drops the connection after the write was applied, seen by an httpx client."""

from __future__ import annotations

import http.client
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from harness.served import Served, password_grant, serve

from forcebridge_emulator import main
from forcebridge_emulator._server import make_certificate
from forcebridge_emulator.testing import on_socket

V = "/services/data/v62.0"


def token(served: Served, client: httpx.Client) -> str:
    response = client.post(
        f"{served.base_url}/services/oauth2/token",
        data=password_grant(vars(served)),
    )
    assert response.status_code == 200, response.text
    access_token: str = response.json()["access_token"]
    return access_token


def test_certificate_names_localhost_and_loopback(tmp_path: Path) -> None:
    cert = make_certificate(tmp_path)
    parsed = x509.load_pem_x509_certificate(cert.cert_path.read_bytes())
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    context = ssl.create_default_context(cafile=str(cert.cert_path))
    context.load_cert_chain(cert.cert_path, cert.key_path)
    assert oct(cert.key_path.stat().st_mode & 0o777) == "0o600"


def test_cli_rejects_a_bad_fault_spec_naming_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--faults", "latency=5,jitter=3"])
    assert exit_.value.code == 2
    assert "--faults: unknown fault 'jitter'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "latency=MS" in capsys.readouterr().out


def test_banner_and_https_over_a_real_socket(tmp_path: Path) -> None:
    with serve("--tls", "--cert-dir", str(tmp_path)) as served:
        assert served.username == "demo@forcebridge.example"
        assert served.cert == tmp_path / "emulator-cert.pem"
        with httpx.Client(verify=ssl.create_default_context(cafile=str(served.cert))) as client:
            bearer = {"Authorization": f"Bearer {token(served, client)}"}
            versions = client.get(f"{served.base_url}/services/data/")
            assert versions.status_code == 200
            limits = client.get(f"{served.base_url}{V}/limits", headers=bearer)
            assert limits.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
            org = client.get(f"{served.base_url}/__emulator__/org").json()
            assert org["base_url"] == served.base_url
            assert org["consumer_secret"] == served.consumer_secret


@pytest.mark.parametrize("tls", [False, True])
def test_dropped_connection_after_the_write_was_applied(tls: bool, tmp_path: Path) -> None:
    args = ["--tls", "--cert-dir", str(tmp_path)] if tls else []
    with serve("--faults", "drop=1", *args) as served:
        verify: ssl.SSLContext | bool = True
        if served.cert is not None:
            verify = ssl.create_default_context(cafile=str(served.cert))
        with httpx.Client(verify=verify) as client:
            _drop_and_check(served, client)


def _drop_and_check(served: Served, client: httpx.Client) -> None:
    bearer = {"Authorization": f"Bearer {token(served, client)}"}
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(
            f"{served.base_url}{V}/sobjects/Account",
            json={"Name": "Dropped", "External_Id__c": "DROP-1"},
            headers=bearer,
        )
    # The write happened although the client never got an answer; reads are not dropped.
    found = client.get(
        f"{served.base_url}{V}/sobjects/Account/External_Id__c/DROP-1", headers=bearer
    )
    assert found.status_code == 200
    assert found.json()["Name"] == "Dropped"


def test_org_file_and_its_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org_file = tmp_path / "org.yaml"
    org_file.write_text(
        "name: ci org\n"
        "daily_api_requests: 50\n"
        "users:\n"
        "  - {username: ci@example.com, password: pw-1, security_token: TOK}\n"
        "connected_apps:\n"
        "  - {name: ci, consumer_key: ck-ci, consumer_secret: cs-ci}\n"
    )
    with serve("--org", str(org_file)) as served, httpx.Client() as client:
        assert served.username == "ci@example.com"
        assert served.consumer_key == "ck-ci"
        bearer = {"Authorization": f"Bearer {token(served, client)}"}
        limits = client.get(f"{served.base_url}{V}/limits", headers=bearer)
        assert limits.headers["Sforce-Limit-Info"] == "api-usage=1/50"

    bad = tmp_path / "bad.yaml"
    bad.write_text("users: 5\n")
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--org", str(bad)])
    assert exit_.value.code == 2
    assert "--org: " in capsys.readouterr().err


def test_state_file_keeps_records_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "org.sqlite"
    with serve("--state", str(state)) as first, httpx.Client() as client:
        created = client.post(
            f"{first.base_url}{V}/sobjects/Account",
            json={"Name": "Kept Co"},
            headers={"Authorization": f"Bearer {token(first, client)}"},
        )
        assert created.status_code == 201, created.text
        account_id = created.json()["id"]
    assert state.exists()
    with serve("--state", str(state)) as second, httpx.Client() as client:
        got = client.get(
            f"{second.base_url}{V}/sobjects/Account/{account_id}",
            headers={"Authorization": f"Bearer {token(second, client)}"},
        )
    assert got.status_code == 200 and got.json()["Name"] == "Kept Co"


def _reuse_after(base_url: str, idle: float) -> int:
    """Status of a second request on the same connection after `idle` seconds without traffic."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", "/__emulator__/org")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        time.sleep(idle)
        conn.request("GET", "/__emulator__/org")
        second = conn.getresponse()
        second.read()
        assert conn.sock is sock, "the client opened a new connection"
        return second.status
    finally:
        conn.close()


def test_idle_connections_stay_open_past_uvicorns_five_seconds() -> None:
    """A pooled connection idle for 6 s (simple-salesforce waits 5 s before its first Bulk job
    poll) is still open: the default keep-alive is 75 s."""
    with on_socket() as org:
        assert _reuse_after(org.base_url, 6) == 200


def test_keep_alive_is_configurable() -> None:
    with on_socket(keep_alive=1) as org, pytest.raises((http.client.RemoteDisconnected, OSError)):
        _reuse_after(org.base_url, 2.5)


def test_a_port_in_use_ends_serve_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "forcebridge_emulator", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr == f"forcebridge-emulator: port {port} on 127.0.0.1 is already in use\n"
    assert "Traceback" not in result.stdout + result.stderr
