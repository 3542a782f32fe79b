"""The SOAP API's `login()` call (`POST /services/Soap/u/{version}`), and nothing else of SOAP.

Clients that authenticate with username + password + security token and no connected app
(simple-salesforce's `Salesforce(username=..., password=..., security_token=...)`, the Data
Loader, old Java/PHP toolkits) post a partner-WSDL envelope here and read `sessionId` and
`serverUrl` from the answer. The session id is an ordinary access token of the emulator's OAuth
server, so the REST API takes it as a bearer token exactly as a real org does.

Shapes (see emulator/tests/test_soap_login.py for the sources): the LoginResult element order
of the partner WSDL, HTTP 500 SOAP faults with `sf:LoginFault` / `sf:UnexpectedErrorFault`
details. Anything else posted here answers the SOAP fault a SOAP stack gives for an operation
it does not offer: the emulator speaks REST, not the SOAP data API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat
from xml.sax.saxutils import escape

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from forcebridge_emulator import _identity as identity
from forcebridge_emulator._config import UserConfig
from forcebridge_emulator._oauth import derived_id
from forcebridge_emulator._oauth_grants import password_matches
from forcebridge_emulator._state import Emulator

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER_NS = "urn:partner.soap.sforce.com"
FAULT_NS = "urn:fault.partner.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CONTENT_TYPE = "text/xml;charset=UTF-8"
# Salesforce escapes quotes in text too (forcedotcom/postman-salesforce-apis#26).
_QUOTES = {'"': "&quot;", "'": "&apos;"}
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."
# A real org without multi-currency answers these for every user.
ATTACHMENT_LIMIT = 5242880
DEFAULT_SESSION_SECONDS = 7200
_VERSION_RE = re.compile(r"^\d{1,3}\.\d$")


class SoapFault(Exception):
    """A whole-call failure: `<soapenv:Fault>` with HTTP 500, as SOAP 1.1 over HTTP sends it.

    `detail` names the fault element of the detail (LoginFault, UnexpectedErrorFault) and
    `code` its exceptionCode; faults raised by the SOAP layer itself carry neither.
    """

    def __init__(
        self, faultcode: str, message: str, *, detail: str | None = None, code: str = ""
    ) -> None:
        super().__init__(message)
        self.faultcode = faultcode
        self.message = message
        self.detail = detail
        self.code = code

    @property
    def faultstring(self) -> str:
        return f"{self.code}: {self.message}" if self.detail else self.message

    def envelope(self) -> str:
        detail = ""
        if self.detail:
            detail = (
                f'<detail><sf:{self.detail} xsi:type="sf:{self.detail}">'
                f"<sf:exceptionCode>{self.code}</sf:exceptionCode>"
                f"<sf:exceptionMessage>{escape(self.message, _QUOTES)}</sf:exceptionMessage>"
                f"</sf:{self.detail}></detail>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:sf="{FAULT_NS}" '
            f'xmlns:xsi="{XSI_NS}"><soapenv:Body><soapenv:Fault>'
            f"<faultcode>{escape(self.faultcode)}</faultcode>"
            f"<faultstring>{escape(self.faultstring, _QUOTES)}</faultstring>{detail}"
            "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        )


def invalid_login() -> SoapFault:
    return SoapFault("sf:INVALID_LOGIN", INVALID_LOGIN, detail="LoginFault", code="INVALID_LOGIN")


def parse_error(message: str) -> SoapFault:
    """What the org's XML parser (Xerces) reports, before it knows which call was meant:
    an unqualified UNKNOWN_EXCEPTION faultcode."""
    return SoapFault(
        "UNKNOWN_EXCEPTION", message, detail="UnexpectedErrorFault", code="UNKNOWN_EXCEPTION"
    )


# -- reading the request ----------------------------------------------------------------------
@dataclass
class Element:
    """One parsed element: namespace URI, local name, children, text (enough for login)."""

    ns: str
    name: str
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def child(self, ns: str, name: str) -> Element | None:
        return next((c for c in self.children if c.ns == ns and c.name == name), None)


class _Doctype(Exception):
    pass


def parse(body: bytes) -> Element:
    """The document's root element, or the parse fault.

    Plain expat with namespaces; a DOCTYPE is refused outright (as Salesforce's parser does),
    which also rules out entity-expansion attacks.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.namespace_prefixes = True  # tags arrive as "uri local prefix": qnames for messages
    stack: list[tuple[Element, str]] = []
    roots: list[Element] = []

    def start(tag: str, _attrs: dict[str, str]) -> None:
        parts = tag.split(" ")
        ns, name = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
        qname = f"{parts[2]}:{name}" if len(parts) > 2 else name
        element = Element(ns, name)
        (stack[-1][0].children if stack else roots).append(element)
        stack.append((element, qname))

    def end(_tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1][0].text += data

    def doctype(*_args: object) -> None:
        raise _Doctype

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(body, True)
    except _Doctype:
        raise parse_error(
            'DOCTYPE is disallowed when the feature "http://apache.org/xml/features/'
            'disallow-doctype-decl" set to true.'
        ) from None
    except expat.ExpatError as exc:
        open_qname = stack[-1][1] if stack else None
        raise parse_error(_parser_message(exc, bool(roots), open_qname)) from None
    return roots[0]


def _parser_message(exc: expat.ExpatError, opened: bool, open_qname: str | None) -> str:
    """expat's complaint in the words of Salesforce's (Xerces) parser for the common cases;
    anything rarer keeps expat's own wording."""
    codes = expat.errors.codes
    at_end = {
        codes[expat.errors.XML_ERROR_NO_ELEMENTS],
        codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN],
    }
    if exc.code in at_end:
        if opened:
            return "XML document structures must start and end within the same entity."
        return "Premature end of file."
    if not opened:
        return "Content is not allowed in prolog."
    if exc.code == codes[expat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT]:
        return "Content is not allowed in trailing section."
    if exc.code == codes[expat.errors.XML_ERROR_TAG_MISMATCH] and open_qname:
        return (
            f'The element type "{open_qname}" must be terminated by the matching end-tag '
            f'"</{open_qname}>".'
        )
    return expat.ErrorString(exc.code).capitalize() + "."


OPERATIONS = ("login", "logout")


def operation(root: Element) -> tuple[Element, Element | None]:
    """The partner call of an envelope (`login` or `logout`) and its SOAP Header, or the fault
    for anything else."""
    if root.ns != SOAP_ENV or root.name != "Envelope":
        # SOAP 1.1 section 4.4.1: an Envelope in another namespace (or none) is a version
        # mismatch.
        raise SoapFault("soapenv:VersionMismatch", f"Expected {{{SOAP_ENV}}}Envelope")
    body = root.child(SOAP_ENV, "Body")
    call = body.children[0] if body is not None and body.children else None
    if call is None:
        raise SoapFault("soapenv:Client", "No operation available for request: empty SOAP Body")
    if call.ns != PARTNER_NS or call.name not in OPERATIONS:
        # A real org's wording for a call its endpoint does not offer (congaengr/soapforce#12).
        name = f"{{{call.ns}}}{call.name}"
        raise SoapFault("soapenv:Client", f"No operation available for request {name}")
    return call, root.child(SOAP_ENV, "Header")


def login_credentials(call: Element) -> tuple[str, str]:
    """(username, password) of a partner `login` call."""
    username = call.child(PARTNER_NS, "username")
    password = call.child(PARTNER_NS, "password")
    return (username.text if username else ""), (password.text if password else "")


# -- the answer -------------------------------------------------------------------------------
def _leaf(name: str, value: object) -> str:
    if value is None:
        return f'<{name} xsi:nil="true"/>'
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value), _QUOTES)}</{name}>"


def login_response(
    *,
    base: str,
    version: str,
    org_id: str,
    org_name: str,
    user: UserConfig,
    session_id: str,
    session_seconds: int,
) -> str:
    """The loginResponse envelope, children in the partner WSDL's sequence order."""
    org15 = org_id[:15]
    user_info = [
        ("accessibilityMode", False),
        ("chatterExternal", False),
        ("currencySymbol", "$"),
        ("orgAttachmentFileSizeLimit", ATTACHMENT_LIMIT),
        ("orgDefaultCurrencyIsoCode", "USD"),
        ("orgDefaultCurrencyLocale", "en_US"),
        ("orgDisallowHtmlAttachments", False),
        ("orgHasPersonAccounts", False),
        ("organizationId", org_id),
        ("organizationMultiCurrency", False),
        ("organizationName", org_name),
        ("profileId", derived_id("00e", "profile:" + org_id)),
        ("roleId", None),
        ("sessionSecondsValid", session_seconds),
        ("userDefaultCurrencyIsoCode", None),
        ("userEmail", user.email or user.username),
        ("userFullName", identity.display_name(user)),
        ("userId", user.user_id),
        ("userLanguage", "en_US"),
        ("userLocale", "en_US"),
        ("userName", user.username),
        ("userTimeZone", identity.TIMEZONE),
        ("userType", "Standard"),
        ("userUiSkin", "Theme3"),
    ]
    result = [
        ("metadataServerUrl", f"{base}/services/Soap/m/{version}/{org15}"),
        ("passwordExpired", False),
        ("sandbox", False),  # the org seeds Organization.IsSandbox = false
        ("serverUrl", f"{base}/services/Soap/u/{version}/{org15}"),
        ("sessionId", session_id),
        ("userId", user.user_id),
    ]
    info = "".join(_leaf(k, v) for k, v in user_info)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns="{PARTNER_NS}" '
        f'xmlns:xsi="{XSI_NS}"><soapenv:Body><loginResponse><result>'
        + "".join(_leaf(k, v) for k, v in result)
        + f"<userInfo>{info}</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )


def session_id_of(header: Element | None) -> str:
    """The `SessionHeader/sessionId` a call after login carries ("" when absent)."""
    session = header.child(PARTNER_NS, "SessionHeader") if header is not None else None
    found = session.child(PARTNER_NS, "sessionId") if session is not None else None
    return found.text.strip() if found is not None else ""


def invalid_session() -> SoapFault:
    return SoapFault(
        "sf:INVALID_SESSION_ID",
        "Invalid Session ID found in SessionHeader: Illegal Session",
        detail="UnexpectedErrorFault",
        code="INVALID_SESSION_ID",
    )


def logout_response() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns="{PARTNER_NS}">'
        "<soapenv:Body><logoutResponse/></soapenv:Body></soapenv:Envelope>"
    )


def xml_response(body: str, status: int = 200) -> Response:
    return Response(body.encode("utf-8"), status_code=status, media_type=CONTENT_TYPE)


def routes(emulator: Emulator) -> list[BaseRoute]:
    """`POST /services/Soap/u/{version}` (and the login's serverUrl, `.../{version}/{org}`):
    the partner `login` and `logout` calls of this org."""
    oauth = emulator.oauth

    def check(username: str, password: str) -> UserConfig:
        # The password grant's own rule: known, active user; password + token glued together.
        user = oauth.directory.user(username)
        if user is None or not user.active:
            raise invalid_login()
        if not password_matches(user, password, with_token=True):
            raise invalid_login()
        return user

    def logout(header: Element | None) -> Response:
        # Ends the session the header names, as the call's documentation says; a session that
        # is not live is refused like any call with a bad SessionHeader.
        token = session_id_of(header)
        if not token or not oauth.revoke(token):
            raise invalid_session()
        return xml_response(logout_response())

    async def endpoint(request: Request) -> Response:
        version = str(request.path_params["version"])
        if not _VERSION_RE.match(version):
            raise HTTPException(404)
        try:
            call, header = operation(parse(await request.body()))
            if call.name == "logout":
                return logout(header)
            username, password = login_credentials(call)
            user = check(username, password)
        except SoapFault as fault:
            return xml_response(fault.envelope(), 500)
        timeout = oauth.tokens.session_timeout
        body = login_response(
            base=oauth.instance_url(request),
            version=version,
            org_id=oauth.org_id,
            org_name=emulator.org.config.name,
            user=user,
            session_id=oauth.issue_token_for(user.username),
            session_seconds=int(timeout) if timeout else DEFAULT_SESSION_SECONDS,
        )
        return xml_response(body)

    return [
        Route("/services/Soap/u/{version}", endpoint, methods=["POST"]),
        Route("/services/Soap/u/{version}/{org}", endpoint, methods=["POST"]),
    ]
