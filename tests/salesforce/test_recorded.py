"""The client against every recorded real Salesforce answer (sf-recordings/, via recorded.recordings).

Each interaction is replayed through an httpx transport that answers the recorded response;
the client makes the call that produced it (the recorded request says which: method, path,
body) and must turn the answer into the right result or the right error class and code.
Interactions outside the client's surface (Bulk API 1.0, Tooling, SOSL, composite batches, ...)
are not test cases at all (a skipped case would pass for a tested one): `outside_reason` sorts
them out at collection time, and `test_every_recording_is_accounted_for` keeps that list honest.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import pytest
from recorded.recordings import Interaction, iter_interactions

from forcebridge.salesforce import (
    AuthenticationError,
    AuthorizationRevoked,
    Credentials,
    LimitExceeded,
    RecordError,
    RetryableError,
    SalesforceClient,
    SalesforceError,
    Token,
    bulk,
)
from forcebridge.salesforce.auth import post_token
from forcebridge.salesforce.errors import error_from_response
from forcebridge.salesforce.usage import parse_limit_info
from tests.salesforce.emulated import FAST_RETRY

pytestmark = pytest.mark.anyio

INSTANCE = "https://org.example.my.salesforce.com"
ID_URL = f"{INSTANCE}/id/00D000000000001AAA/005000000000001AAA"
_DATA = re.compile(r"^/services/data/(?:v\d+\.\d+|vxx\.0|<api_version>)/?")

# Endpoints (after /services/data/vNN.0/, or the full path) the client has no call for.
OUTSIDE: list[tuple[str, str]] = [
    (r"^https?://(github\.com|raw\.githubusercontent\.com)", "not Salesforce"),
    (r"/services/async/", "Bulk API 1.0: forcebridge uses Bulk API 2.0"),
    (r"^tooling/", "Tooling API: not a data call"),
    (r"^connect/", "Connect REST API: not used"),
    (r"^composite$", "composite batches of sub-requests: not in the client's surface"),
    (r"^composite/graph", "composite graph: not in the client's surface"),
    (r"^(search|parameterizedSearch)", "SOSL: not in the client's surface"),
    (r"^recent", "recently viewed: not used"),
    (r"/listviews/", "list views: not used"),
    (r"^sobjects/\w+/(updated|deleted)", "replication API: not used"),
    (r"^\(resources\)$", "resource directory: the client builds its paths itself"),
]


def outside_reason(i: Interaction) -> str | None:
    """Why the client has no call for this recording, or None when it has one (pure: it decides
    at collection time which recordings become test cases)."""
    if i.source.file.endswith("uncompressed_cassette.yaml"):
        return "hand-edited example of the cassette format: bodies are placeholders"
    for pattern, reason in OUTSIDE:
        target = i.request.url if pattern.startswith("^https") else i.endpoint
        if pattern.startswith("/"):
            target = i.request.path
        if re.search(pattern, target):
            return reason
    return None


class FollowedNext(Exception):
    """The client asked for the recorded `nextRecordsUrl`: paging works; the replay ends."""


class Replay(httpx.AsyncBaseTransport):
    """Answers the recorded response; a second query request must be the nextRecordsUrl."""

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        recorded = self.interaction.response
        if len(self.requests) > 1 and self.interaction.endpoint.startswith("query"):
            page = recorded.json() or {}
            assert request.url.path == page.get("nextRecordsUrl"), request.url
            raise FollowedNext
        headers = {
            k: v
            for k, v in recorded.headers.items()
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        }
        return httpx.Response(recorded.status, headers=headers, content=recorded.body)


def client_for(transport: Replay) -> SalesforceClient:
    creds = Credentials(
        "password",
        login_url="https://login.salesforce.com",
        consumer_key="key",
        consumer_secret="secret",
        username="user@example.com",
        password="pw",
    )
    token = Token("00D!token", INSTANCE, ID_URL)
    return SalesforceClient(creds, transport=transport, token=token, retry=FAST_RETRY)


def _segments(i: Interaction) -> list[str]:
    return [unquote(s) for s in i.endpoint.split("?")[0].strip("/").split("/")]


async def _collect(aiter: AsyncIterator[Any]) -> list[Any]:
    return [x async for x in aiter]


async def exercise(i: Interaction, sf: SalesforceClient) -> Any:
    """Make the client call that the recorded request was."""
    method, path, ep = i.request.method, i.request.path, i.endpoint
    seg = _segments(i)
    try:
        body = i.request.json()
    except ValueError:  # a form or CSV body
        body = None
    if path.endswith("/services/oauth2/token"):
        form = {k: v[0] for k, v in parse_qs(i.request.text).items()}
        refresh = form.get("grant_type") == "refresh_token"
        return await post_token(
            sf._session.http, "https://login.salesforce.com", form, refresh=refresh
        )
    if path.startswith("/id/"):
        sf._session.tokens._token = Token("00D!token", INSTANCE, i.request.url)
        return await sf.identity()
    if path.rstrip("/") == "/services/data":
        return await sf.versions()
    if ep == "limits":
        return await sf.limits()
    if ep == "limits/recordCount":
        names = i.request.query.get("sObjects", [""])[0].split(",")
        return await sf.record_counts([n for n in names if n])
    if seg[0] in ("query", "queryAll"):
        soql = i.request.query.get("q", ["SELECT Id FROM Account"])[0]
        try:
            return await _collect(sf.query(soql, include_deleted=seg[0] == "queryAll"))
        except FollowedNext:
            return "followed nextRecordsUrl"
    if seg == ["sobjects"]:
        return await sf.describe_global()
    if seg[0] == "sobjects" and len(seg) == 3 and seg[2] == "describe":
        return await sf.describe(seg[1])
    if seg[0] == "sobjects" and len(seg) == 2 and method == "POST":
        return await sf.create(seg[1], body or {})
    if seg[0] == "sobjects" and len(seg) == 3:
        if method == "GET":
            return await sf.get(seg[1], seg[2])
        if method == "PATCH":
            return await sf.update(seg[1], seg[2], body or {})
        if method == "DELETE":
            return await sf.delete(seg[1], seg[2])
    if seg[0] == "sobjects" and len(seg) == 4 and method == "PATCH":
        return await sf.upsert(seg[1], seg[2], seg[3], body or {})
    if seg[:2] == ["composite", "sobjects"]:
        return await _collections(i, sf, seg, body)
    if seg[:2] == ["jobs", "ingest"]:
        return await _bulk(i, sf, seg, body)
    raise AssertionError(f"no client call for {i.test_id}")


def unsendable(i: Interaction) -> bool:
    """Requests the client never makes: collections with a null record, a delete of no ids."""
    if not i.endpoint.startswith("composite/sobjects"):
        return False
    try:
        records = (i.request.json() or {}).get("records", [])
    except ValueError:
        records = []
    return None in records or (i.request.method == "DELETE" and "ids" not in i.request.query)


async def _collections(i: Interaction, sf: SalesforceClient, seg: list[str], body: Any) -> Any:
    method = i.request.method
    records = [r for r in (body or {}).get("records", [])]
    if unsendable(i):
        # The client never sends these requests (a null record, no ids at all); the answer
        # is still Salesforce's and must parse as the error it is.
        raise error_from_response(i.response.status, i.response.body)
    sobject = records[0]["attributes"]["type"] if records else "Account"
    if method == "POST":
        results = await sf.create_many(sobject, records, all_or_none=body.get("allOrNone", False))
    elif method == "PATCH" and len(seg) == 4:
        results = await sf.upsert_many(seg[2], seg[3], records)
    elif method == "PATCH":
        results = await sf.update_many(sobject, records)
    else:
        ids = i.request.query["ids"][0].split(",")
        results = await sf.delete_many(ids)
    expected = len(records) if method != "DELETE" else len(i.request.query["ids"][0].split(","))
    assert len(results) == expected
    return results


async def _bulk(i: Interaction, sf: SalesforceClient, seg: list[str], body: Any) -> Any:
    method = i.request.method
    if method == "POST":
        job = await bulk.create_job(sf._session, body["object"], body["operation"])
        assert job.id and job.state == "Open" and job.content_url
        assert not job.content_url.startswith("/")  # as recorded (Fact 8)
        return job
    job = bulk.BulkJob(seg[2], "Account", "insert", "Open")
    if method == "PUT":
        return await bulk.upload(sf._session, job, i.request.body)
    if method == "PATCH":
        closed = await bulk.close(sf._session, job)
        assert closed.state == "UploadComplete" and closed.id == job.id
        return closed
    if len(seg) == 3:
        return await bulk.status(sf._session, seg[2])
    rows = await _collect(bulk.results(sf._session, seg[2], seg[3]))  # type: ignore[arg-type]
    assert rows and all(r["sf__Id"] for r in rows)
    return rows


def expected_error(i: Interaction) -> tuple[type[SalesforceError], str] | None:
    """The error class and code a recorded error answer must become (None: a success)."""
    status = i.response.status
    if status < 300:
        return None
    if status == 300:
        return RecordError, "MULTIPLE_CHOICES"
    data = i.response.json()
    first = data[0] if isinstance(data, list) else data
    if "error" in first:
        grant = parse_qs(i.request.text).get("grant_type", [""])[0]
        revoked = grant == "refresh_token" and first["error"] == "invalid_grant"
        return (AuthorizationRevoked if revoked else AuthenticationError), first["error"]
    code = first["errorCode"]
    if status == 401:
        return AuthenticationError, code
    if code == "REQUEST_LIMIT_EXCEEDED":
        return LimitExceeded, code
    if status == 503 or code == "UNABLE_TO_LOCK_ROW":
        return RetryableError, code
    return RecordError, code


INTERACTIONS = list(iter_interactions())
HANDLED = [i for i in INTERACTIONS if outside_reason(i) is None]
EXCLUDED = [(i, reason) for i in INTERACTIONS if (reason := outside_reason(i)) is not None]

# How many recordings each reason excludes: a recording that drops out of the replay (or a
# reason that starts catching more) changes these counts and fails the accounting test.
EXPECTED_EXCLUSIONS: dict[str, int] = {
    "not Salesforce": 5,
    "hand-edited example of the cassette format: bodies are placeholders": 4,
    "Bulk API 1.0: forcebridge uses Bulk API 2.0": 68,
    "Tooling API: not a data call": 22,
    "Connect REST API: not used": 1,
    "composite batches of sub-requests: not in the client's surface": 16,
    "composite graph: not in the client's surface": 3,
    "SOSL: not in the client's surface": 2,
    "recently viewed: not used": 1,
    "list views: not used": 1,
    "replication API: not used": 2,
    "resource directory: the client builds its paths itself": 1,
}


@pytest.mark.parametrize("interaction", HANDLED, ids=[i.test_id for i in HANDLED])
async def test_client_parses_recorded_answer(interaction: Interaction) -> None:
    transport = Replay(interaction)
    async with client_for(transport) as sf:
        wanted = expected_error(interaction)
        if wanted is None:
            result = await exercise(interaction, sf)
            _check_success(interaction, result)
        else:
            cls, code = wanted
            with pytest.raises(cls) as caught:
                await exercise(interaction, sf)
            assert type(caught.value) is cls
            assert caught.value.code == code
            assert caught.value.message or code == "MULTIPLE_CHOICES"
        limit_info = interaction.response.header("Sforce-Limit-Info")
        if limit_info and transport.requests:
            assert sf.usage == parse_limit_info(limit_info)
    if not unsendable(interaction):
        assert transport.requests, "the client made no request"
        assert transport.requests[0].method == interaction.request.method


def _check_success(i: Interaction, result: Any) -> None:
    ep, method, status = i.endpoint, i.request.method, i.response.status
    if ep.startswith(("sobjects", "query")) and method == "GET" and status == 200:
        assert result is not None
    if method == "POST" and re.match(r"^sobjects/\w+$", ep):
        assert isinstance(result, str) and result == i.response.json()["id"]
    if method == "PATCH" and ep.count("/") == 3 and ep.startswith("sobjects"):
        assert result.created is (status == 201)
    if isinstance(result, Token):
        assert result.access_token and result.instance_url
    if ep.startswith("query") and isinstance(result, list):
        page = i.response.json()
        assert len(result) == len(page["records"])
        assert page["done"] or "nextRecordsUrl" not in page


def test_every_recording_is_accounted_for() -> None:
    """Every recorded interaction is either replayed through the client or excluded with a
    reason, and the exclusions are exactly the expected ones: out-of-surface recordings are not
    test cases, so this is where a recording silently leaving the replay shows."""
    recorded = [i.test_id for i in iter_interactions()]
    assert len(recorded) == len(set(recorded)), "test ids must be unique"
    handled = {i.test_id for i in HANDLED}
    excluded = {i.test_id for i, _ in EXCLUDED}
    assert not handled & excluded
    assert handled | excluded == set(recorded)
    for i, reason in EXCLUDED:
        assert reason.strip(), f"{i.test_id} excluded without a reason"
    counts = Counter(reason for _, reason in EXCLUDED)
    changed = {
        reason: f"{counts[reason]} excluded, expected {EXPECTED_EXCLUSIONS.get(reason, 0)}"
        for reason in set(counts) | set(EXPECTED_EXCLUSIONS)
        if counts[reason] != EXPECTED_EXCLUSIONS.get(reason, 0)
    }
    assert not changed, changed
    assert len(HANDLED) >= 480
    assert json.dumps([i.test_id for i, _ in EXCLUDED])  # ids are printable for the report
