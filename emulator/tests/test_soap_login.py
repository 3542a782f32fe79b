"""SOAP API `login()` (`POST /services/Soap/u/{version}`): success shape, faults, real clients.

No recording holds a SOAP login, so the shapes follow Salesforce's documentation and real
answers quoted in public issue trackers:
- the call: "login()", https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_login.htm
  (password + security token glued together; returns sessionId, userId and serverUrl).
- the result: "LoginResult",
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/object_ref/sforce_api_calls_login_loginresult.htm
  (metadataServerUrl, passwordExpired, sandbox, serverUrl, sessionId, userId, userInfo; the
  partner WSDL's sequence order as in the WSDL-generated LoginResult of jsforce and WSC), and the
  sample partner login exchange of wiki.developerforce.com/index.php/PartnerLogin (userInfo
  children, `xsi:nil` roleId / userDefaultCurrencyIsoCode, serverUrl ending in the org id as in
  a real 2015 answer quoted in gist brsanthu/a4b3e06f1b30fce19043).
- faults: HTTP 500 with `<soapenv:Fault>`; partner faults qualified `sf:CODE` with
  `xmlns:sf="urn:fault.partner.soap.sforce.com"` (forcedotcom/wsc#176); the LoginFault detail
  and the INVALID_LOGIN wording (apexsharp/apexsharp#20, simple-salesforce#561); a request the
  XML parser rejects answers an unqualified UNKNOWN_EXCEPTION with an UnexpectedErrorFault
  carrying the parser's message (forcedotcom/postman-salesforce-apis#26); a call the endpoint
  does not offer: "No operation available for request {ns}name" (congaengr/soapforce#12).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from harness.http_client import BASE_URL, Client, V, emulator_client
from harness.served import Served, serve, tls_session
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from forcebridge_emulator._config import UserConfig

pytestmark = pytest.mark.anyio

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
FAULTS = "urn:fault.partner.soap.sforce.com"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LOGIN_URL = "/services/Soap/u/62.0"
USER = "demo@forcebridge.example"
PASSWORD = "demo-password-1"
TOKEN = "DEMOSECURITYTOKEN"
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."

RESULT_ORDER = [
    "metadataServerUrl",
    "passwordExpired",
    "sandbox",
    "serverUrl",
    "sessionId",
    "userId",
    "userInfo",
]
USER_INFO_ORDER = [
    "accessibilityMode",
    "chatterExternal",
    "currencySymbol",
    "orgAttachmentFileSizeLimit",
    "orgDefaultCurrencyIsoCode",
    "orgDefaultCurrencyLocale",
    "orgDisallowHtmlAttachments",
    "orgHasPersonAccounts",
    "organizationId",
    "organizationMultiCurrency",
    "organizationName",
    "profileId",
    "roleId",
    "sessionSecondsValid",
    "userDefaultCurrencyIsoCode",
    "userEmail",
    "userFullName",
    "userId",
    "userLanguage",
    "userLocale",
    "userName",
    "userTimeZone",
    "userType",
    "userUiSkin",
]


def simple_salesforce_envelope(username: str, password: str) -> str:
    """The envelope shape simple-salesforce 1.12 posts (env/n1 prefixes, a CallOptions header)."""
    return (
        '<?xml version="1.0" encoding="utf-8" ?>\n'
        f'<env:Envelope xmlns:env="{SOAP}" xmlns:urn="{PARTNER}"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        "  <env:Header><urn:CallOptions><urn:client>simple-salesforce</urn:client>"
        "<urn:defaultNamespace>sf</urn:defaultNamespace></urn:CallOptions></env:Header>\n"
        f'  <env:Body><n1:login xmlns:n1="{PARTNER}">'
        f"<n1:username>{username}</n1:username><n1:password>{password}</n1:password>"
        "</n1:login></env:Body>\n</env:Envelope>"
    )


def docs_envelope(username: str, password: str) -> str:
    """The documentation's style: soapenv/urn prefixes, no header."""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:urn="{PARTNER}"><soapenv:Body>'
        f"<urn:login><urn:username>{username}</urn:username>"
        f"<urn:password>{password}</urn:password></urn:login></soapenv:Body></soapenv:Envelope>"
    )


async def post_login(client: Client, body: str, path: str = LOGIN_URL) -> httpx.Response:
    headers = {"Content-Type": "text/xml", "SOAPAction": "login"}
    return await client.http.post(path, content=body.encode("utf-8"), headers=headers)


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def login_result(response: httpx.Response) -> ET.Element:
    root = ET.fromstring(response.content)
    result = root.find(f"{{{SOAP}}}Body/{{{PARTNER}}}loginResponse/{{{PARTNER}}}result")
    assert result is not None, response.text
    return result


def fault_of(response: httpx.Response) -> dict[str, str]:
    """The fault's faultcode/faultstring and, when present, its detail element and children."""
    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == "text/xml;charset=UTF-8"
    root = ET.fromstring(response.content)
    fault = root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None, response.text
    out = {local(c.tag): c.text or "" for c in fault if local(c.tag) != "detail"}
    detail = fault.find("detail")
    if detail is not None:
        (element,) = list(detail)
        out["detail"] = element.tag
        out["xsi:type"] = element.get(f"{{{XSI}}}type", "")
        out.update({c.tag: c.text or "" for c in element})
    return out


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with emulator_client() as c:
        yield c


# -- success --------------------------------------------------------------------------------------
async def test_login_answers_the_login_result_and_its_session_works_on_rest(client: Client) -> None:
    response = await post_login(client, simple_salesforce_envelope(USER, PASSWORD + TOKEN))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml;charset=UTF-8"
    assert b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope' in response.content

    result = login_result(response)
    assert [local(c.tag) for c in result] == RESULT_ORDER
    values = {local(c.tag): c.text for c in result}
    org_id = client.emulator.oauth.org_id
    user = client.emulator.org.config.users[0]
    assert values["serverUrl"] == f"{BASE_URL}/services/Soap/u/62.0/{org_id[:15]}"
    assert values["metadataServerUrl"] == f"{BASE_URL}/services/Soap/m/62.0/{org_id[:15]}"
    assert values["passwordExpired"] == "false"
    assert values["sandbox"] == "false"
    assert values["userId"] == user.user_id
    session_id = values["sessionId"] or ""
    assert session_id.startswith(org_id[:15] + "!")

    info = result.find(f"{{{PARTNER}}}userInfo")
    assert info is not None
    assert [local(c.tag) for c in info] == USER_INFO_ORDER
    fields = {local(c.tag): c for c in info}
    assert fields["userName"].text == USER
    assert fields["userFullName"].text == "Demo User"
    assert fields["organizationId"].text == org_id
    assert fields["organizationName"].text == client.emulator.org.config.name
    assert fields["userId"].text == user.user_id
    assert fields["sessionSecondsValid"].text == "7200"
    assert (fields["profileId"].text or "").startswith("00e")
    assert fields["roleId"].get(f"{{{XSI}}}nil") == "true"

    # The session id is a bearer token of the org, as a real org's session id is.
    rest = await client.http.get(f"{V}/sobjects", headers={"Authorization": f"Bearer {session_id}"})
    assert rest.status_code == 200, rest.text
    assert "sobjects" in rest.json()
    session = client.emulator.oauth.authenticate_token(session_id)
    assert session.user.username == USER and session.app is None


async def test_login_accepts_any_prefixes_and_a_username_in_another_case(client: Client) -> None:
    response = await post_login(client, docs_envelope(USER.upper(), PASSWORD + TOKEN))
    assert response.status_code == 200, response.text
    values = {local(c.tag): c.text for c in login_result(response)}
    assert (
        values["serverUrl"]
        == f"{BASE_URL}/services/Soap/u/62.0/{client.emulator.oauth.org_id[:15]}"
    )


async def test_the_version_of_the_path_is_the_version_of_the_urls(client: Client) -> None:
    response = await post_login(
        client, docs_envelope(USER, PASSWORD + TOKEN), path="/services/Soap/u/48.0"
    )
    values = {local(c.tag): c.text for c in login_result(response)}
    assert (values["serverUrl"] or "").startswith(f"{BASE_URL}/services/Soap/u/48.0/")
    assert (values["metadataServerUrl"] or "").startswith(f"{BASE_URL}/services/Soap/m/48.0/")


async def test_xml_escaped_password_characters_are_read_as_text(client: Client) -> None:
    client.emulator.oauth.add_user(
        UserConfig(username="amp@acme.example", password="p&ss<w>rd\"'", security_token="T1")
    )
    escaped = "p&amp;ss&lt;w&gt;rd&quot;&#x27;"  # html.escape, as simple-salesforce sends it
    response = await post_login(client, docs_envelope("amp@acme.example", escaped + "T1"))
    assert response.status_code == 200, response.text


# -- refusals -------------------------------------------------------------------------------------
LOGIN_FAULT = {
    "faultcode": "sf:INVALID_LOGIN",
    "faultstring": f"INVALID_LOGIN: {INVALID_LOGIN}",
    "detail": f"{{{FAULTS}}}LoginFault",
    "xsi:type": "sf:LoginFault",
    f"{{{FAULTS}}}exceptionCode": "INVALID_LOGIN",
    f"{{{FAULTS}}}exceptionMessage": INVALID_LOGIN,
}


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param(USER, "wrong-password" + TOKEN, id="wrong-password"),
        pytest.param(USER, PASSWORD + "WRONGTOKEN", id="wrong-token"),
        pytest.param(USER, PASSWORD, id="token-missing"),
        pytest.param(USER, "", id="empty-password"),
        pytest.param("nobody@acme.example", PASSWORD + TOKEN, id="unknown-user"),
    ],
)
async def test_bad_credentials_answer_the_invalid_login_fault(
    client: Client, username: str, password: str
) -> None:
    response = await post_login(client, simple_salesforce_envelope(username, password))
    assert fault_of(response) == LOGIN_FAULT


async def test_an_inactive_user_cannot_log_in(client: Client) -> None:
    client.emulator.oauth.add_user(
        UserConfig(username="gone@acme.example", password="pw", security_token="T", active=False)
    )
    response = await post_login(client, docs_envelope("gone@acme.example", "pwT"))
    assert fault_of(response) == LOGIN_FAULT


async def test_a_login_without_username_or_password_is_an_invalid_login(client: Client) -> None:
    body = f'<e:Envelope xmlns:e="{SOAP}"><e:Body><login xmlns="{PARTNER}"/></e:Body></e:Envelope>'
    assert fault_of(await post_login(client, body)) == LOGIN_FAULT


def parser_fault(message: str) -> dict[str, str]:
    return {
        "faultcode": "UNKNOWN_EXCEPTION",
        "faultstring": f"UNKNOWN_EXCEPTION: {message}",
        "detail": f"{{{FAULTS}}}UnexpectedErrorFault",
        "xsi:type": "sf:UnexpectedErrorFault",
        f"{{{FAULTS}}}exceptionCode": "UNKNOWN_EXCEPTION",
        f"{{{FAULTS}}}exceptionMessage": message,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param("", "Premature end of file.", id="empty"),
        pytest.param("username=demo&password=x", "Content is not allowed in prolog.", id="form"),
        pytest.param(
            docs_envelope(USER, PASSWORD)[:-40],
            "XML document structures must start and end within the same entity.",
            id="truncated",
        ),
        pytest.param(
            f'<s:Envelope xmlns:s="{SOAP}"><s:Body></s:Envelope>',
            'The element type "s:Body" must be terminated by the matching end-tag "</s:Body>".',
            id="mismatched",
        ),
        pytest.param(
            docs_envelope(USER, PASSWORD) + "<x/>",
            "Content is not allowed in trailing section.",
            id="trailing",
        ),
        pytest.param(
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;&a;</x>',
            'DOCTYPE is disallowed when the feature "http://apache.org/xml/features/'
            'disallow-doctype-decl" set to true.',
            id="doctype",
        ),
    ],
)
async def test_a_malformed_envelope_answers_the_parser_fault(
    client: Client, body: str, message: str
) -> None:
    assert fault_of(await post_login(client, body)) == parser_fault(message)


async def test_a_document_that_is_no_soap_envelope_is_a_version_mismatch(client: Client) -> None:
    fault = fault_of(await post_login(client, f"<login xmlns='{PARTNER}'/>"))
    assert fault["faultcode"] == "soapenv:VersionMismatch"
    assert "detail" not in fault


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            f'<e:Envelope xmlns:e="{SOAP}"><e:Body><query xmlns="{PARTNER}"/></e:Body></e:Envelope>',
            f"No operation available for request {{{PARTNER}}}query",
            id="other-call",
        ),
        pytest.param(
            docs_envelope(USER, PASSWORD + TOKEN).replace(PARTNER, "urn:tooling.soap.sforce.com"),
            "No operation available for request {urn:tooling.soap.sforce.com}login",
            id="other-wsdl",
        ),
    ],
)
async def test_a_call_other_than_partner_login_is_a_client_fault(
    client: Client, body: str, message: str
) -> None:
    assert fault_of(await post_login(client, body)) == {
        "faultcode": "soapenv:Client",
        "faultstring": message,
    }


def logout_envelope(session_id: str) -> str:
    """What jsforce's `logout()` posts after a SOAP login (lib/connection.ts, `_logoutBySoap`)."""
    return (
        f'<se:Envelope xmlns:se="{SOAP}"><se:Header>'
        f'<SessionHeader xmlns="{PARTNER}"><sessionId>{session_id}</sessionId></SessionHeader>'
        f'</se:Header><se:Body><logout xmlns="{PARTNER}"/></se:Body></se:Envelope>'
    )


async def test_logout_ends_the_session_it_names(client: Client) -> None:
    login = login_result(await post_login(client, docs_envelope(USER, PASSWORD + TOKEN)))
    session_id = login.findtext(f"{{{PARTNER}}}sessionId") or ""
    server_url = login.findtext(f"{{{PARTNER}}}serverUrl") or ""
    bearer = {"Authorization": f"Bearer {session_id}"}
    assert (await client.http.get("/services/data/v62.0/limits", headers=bearer)).status_code == 200

    # Posted to the login's serverUrl, as a client that keeps it does.
    response = await post_login(client, logout_envelope(session_id), server_url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml;charset=UTF-8"
    body = ET.fromstring(response.content).find(f"{{{SOAP}}}Body")
    assert body is not None and [local(c.tag) for c in body] == ["logoutResponse"]

    after = await client.http.get("/services/data/v62.0/limits", headers=bearer)
    assert after.status_code == 401
    assert after.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    again = fault_of(await post_login(client, logout_envelope(session_id)))
    assert again["faultcode"] == "sf:INVALID_SESSION_ID"
    assert again[f"{{{FAULTS}}}exceptionCode"] == "INVALID_SESSION_ID"


async def test_a_path_without_a_version_number_is_not_found(client: Client) -> None:
    response = await post_login(
        client, docs_envelope(USER, PASSWORD + TOKEN), "/services/Soap/u/v62"
    )
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"


# -- simple-salesforce, unmodified, over HTTPS ------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve("--tls", "--cert-dir", str(tmp_path_factory.mktemp("tls"))) as info:
        assert info.base_url.startswith("https://127.0.0.1:")
        yield info


def test_simple_salesforce_login_via_its_scratch_url(served: Served) -> None:
    """`SalesforceLogin(scratch_url=...)` is the library's own way to a non-standard login host
    (it posts to `{scratch_url}/services/Soap/u/{version}`); it returns the session id and the
    host of serverUrl, which then serves REST."""
    session = tls_session(served)
    session_id, instance = SalesforceLogin(
        username=served.username,
        password=served.password,
        security_token=served.security_token,
        sf_version="62.0",
        session=session,
        scratch_url=served.base_url,
    )
    assert instance == served.base_url.removeprefix("https://")
    sf = Salesforce(instance=instance, session_id=session_id, session=session, version="62.0")
    assert "Account" in {o["name"] for o in sf.describe()["sobjects"]}


def test_simple_salesforce_client_logs_in_with_username_password_and_token(served: Served) -> None:
    """`Salesforce(username=, password=, security_token=, domain=)`, unmodified.

    The library posts to f"https://{domain}.salesforce.com/services/Soap/u/{version}"; it has no
    other knob for the login host of this constructor. A domain of
    "127.0.0.1:PORT/services/Soap/u/62.0#" makes that URL the emulator's login path followed by a
    fragment (".salesforce.com/..."), which HTTP clients never send. So the request that reaches
    the emulator is byte for byte the library's own, and no transport adapter or patch is needed.
    Afterwards the library takes the instance from serverUrl, so REST goes to the emulator too.
    """
    host = served.base_url.removeprefix("https://")
    sf = Salesforce(
        username=served.username,
        password=served.password,
        security_token=served.security_token,
        domain=f"{host}/services/Soap/u/62.0#",
        version="62.0",
        session=tls_session(served),
    )
    assert sf.sf_instance == host
    created = sf.Account.create({"Name": "Logged in by SOAP"})
    assert created["success"] is True
    found = sf.query(f"SELECT Name FROM Account WHERE Id = '{created['id']}'")
    assert found["records"][0]["Name"] == "Logged in by SOAP"


def test_simple_salesforce_reports_the_invalid_login_fault(served: Served) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as failed:
        SalesforceLogin(
            username=served.username,
            password=served.password,
            security_token="WRONG" + served.security_token,
            sf_version="62.0",
            session=tls_session(served),
            scratch_url=served.base_url,
        )
    assert failed.value.code == "INVALID_LOGIN"
    assert failed.value.auth_message == INVALID_LOGIN
