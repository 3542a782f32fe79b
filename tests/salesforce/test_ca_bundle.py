"""An org behind a certificate the system does not trust (the emulator's --tls, a private CA, a
TLS-inspecting proxy): the failure says so, and the connection's CA bundle makes it work."""

from __future__ import annotations

import pytest

from forcebridge.salesforce import CertificateError, Credentials, SalesforceClient, Token
from forcebridge_emulator.testing import EmulatedOrg, on_socket

pytestmark = pytest.mark.anyio


def credentials(org: EmulatedOrg, **extra: str) -> Credentials:
    login = org.login
    return Credentials(
        "password",
        login_url=org.base_url,
        consumer_key=login["consumer_key"],
        consumer_secret=login["consumer_secret"],
        username=login["username"],
        password=login["password"],
        security_token=login["security_token"],
        **extra,
    )


async def test_an_untrusted_certificate_is_reported_as_such_then_the_bundle_trusts_it() -> None:
    with on_socket(tls=True) as org:
        async with SalesforceClient(credentials(org)) as sf:
            with pytest.raises(CertificateError) as info:
                await sf.authorize()
        assert info.value.code == "CERTIFICATE_UNTRUSTED"
        assert "certificate" in info.value.message and "ca_bundle" in info.value.message
        assert "no answer" not in str(info.value)

        trusted = credentials(org, ca_bundle=str(org.ca_certificate))
        async with SalesforceClient(trusted) as sf:
            me = await sf.authorize()
        assert me.username == org.login["username"]


async def test_a_data_call_meeting_an_untrusted_certificate_is_not_retried() -> None:
    with on_socket(tls=True) as org:
        token = Token(access_token=org.access_token(), instance_url=org.base_url)
        async with SalesforceClient(credentials(org), token=token) as sf:
            with pytest.raises(CertificateError) as info:
                await sf.count("SELECT COUNT() FROM Account")
            assert sf.calls == 1  # not repeated: retrying cannot help
        assert info.value.message.startswith("GET /services/data/")
