"""forcebridge_emulator.testing: the fixtures and helpers a user's tests get."""

from __future__ import annotations

import ssl

import httpx
import pytest
from harness.served import password_grant

from forcebridge_emulator import Org
from forcebridge_emulator.testing import (
    EmulatedOrg,
    in_process,
    on_socket,
)

V = "/services/data/v62.0"


@pytest.mark.anyio
async def test_in_process_fixture_answers_over_its_transport(salesforce_org: EmulatedOrg) -> None:
    bearer = {"Authorization": f"Bearer {salesforce_org.access_token()}"}
    async with httpx.AsyncClient(
        transport=salesforce_org.transport, base_url=salesforce_org.base_url
    ) as http:
        created = await http.post(f"{V}/sobjects/Account", json={"Name": "Acme"}, headers=bearer)
        assert created.status_code == 201, created.text
    assert salesforce_org.org.get("Account", created.json()["id"])["Name"] == "Acme"


def test_socket_fixture_serves_tls_with_the_ca_it_names(salesforce_server: EmulatedOrg) -> None:
    assert salesforce_server.base_url.startswith("https://127.0.0.1:")
    assert salesforce_server.ca_certificate is not None
    trust = ssl.create_default_context(cafile=str(salesforce_server.ca_certificate))
    with httpx.Client(verify=trust) as http:
        info = http.get(f"{salesforce_server.base_url}/__emulator__/org").json()
        assert info["ca_certificate"] == str(salesforce_server.ca_certificate)
        token = http.post(
            info["token_url"],
            data=password_grant(info),
        )
        assert token.status_code == 200, token.text
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{salesforce_server.base_url}/__emulator__/org")


@pytest.mark.anyio
async def test_faults_apply_at_once_and_a_dropped_write_looks_like_the_network() -> None:
    emulated = in_process(Org.demo(), "drop=1")
    bearer = {"Authorization": f"Bearer {emulated.access_token()}"}
    async with httpx.AsyncClient(transport=emulated.transport, base_url=emulated.base_url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post(f"{V}/sobjects/Account", json={"Name": "Dropped"}, headers=bearer)
        # Applied before the line went dead.
        assert [r for r in emulated.org.iter_records("Account") if r["Name"] == "Dropped"]
        emulated.set_faults("error503=1")
        response = await http.get(f"{V}/limits", headers=bearer)
        assert response.status_code == 503


def test_on_socket_without_tls_is_plain_http() -> None:
    with on_socket() as emulated:
        assert emulated.ca_certificate is None
        assert httpx.get(f"{emulated.base_url}/__emulator__/org").json()["ca_certificate"] is None
