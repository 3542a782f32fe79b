"""Replay every recorded Salesforce interaction inside the emulator's surface against the emulator.

Why: the emulator is only worth testing against if it answers like Salesforce. Each recorded
request (see emulator/tests/recorded/recordings.py) is sent, with ids, hosts and API versions rewritten, to an
emulator org put in the recorded state (emulator/tests/harness/replay_org.py); the answer must have the
recorded status, the headers that matter and the recorded body's shape. Interactions outside
the surface are not skipped silently: `test_every_interaction_is_classified` holds the list, and
emulator/docs/fidelity.md shows it with the reasons.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.replay_org import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    SECURITY_TOKEN,
    USERNAME,
    ReplayOrg,
)
from recorded.recording_fixtures import FIXTURES
from recorded.recording_shapes import (
    ID_RE,
    compare_headers,
    compare_shapes,
    normalise_url,
    replace_ids,
)
from recorded.recordings import EMULATED_OBJECTS, Interaction, load_interactions, recording_files

from forcebridge_emulator._app import create_app

BASE = "https://replay.my.salesforce.com"
INTERACTIONS = load_interactions()
IN_SURFACE = [it for it in INTERACTIONS if it.in_surface]


def test_every_interaction_is_classified() -> None:
    """Every recorded interaction and fixture is either replayed or excluded with a reason."""
    assert len(INTERACTIONS) > 500
    for it in INTERACTIONS:
        assert it.in_surface or it.reason.strip(), f"{it.source} excluded without a reason"
    json_files = {f for f in recording_files() if f.endswith(".json")}
    assert json_files == set(FIXTURES), "every JSON fixture needs its request in FIXTURES"
    assert len({it.test_id for it in INTERACTIONS}) == len(INTERACTIONS)
    assert len(IN_SURFACE) > 300


def test_object_classification_matches_the_emulator() -> None:
    """`EMULATED_OBJECTS` (which decides "standard object X is not emulated") is the replay
    org's object list: when the emulator gains an object, its recordings come into the replay."""
    names = {obj.name.lower() for obj in ReplayOrg().org.schema}
    assert names == set(EMULATED_OBJECTS)


def test_fidelity_doc_lists_every_interaction() -> None:
    doc = Path(__file__).resolve().parents[1] / "docs" / "fidelity.md"
    text = doc.read_text(encoding="utf-8")
    missing = [it.test_id for it in INTERACTIONS if f"`{it.test_id}`" not in text]
    assert not missing, f"emulator/docs/fidelity.md lacks {len(missing)}: {missing[:5]}"


# ---- the replay -------------------------------------------------------------------------------


async def _token(client: httpx.AsyncClient) -> str:
    resp = await client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": USERNAME,
            "password": PASSWORD + SECURITY_TOKEN,
        },
    )
    assert resp.status_code == 200, f"replay login failed: {resp.status_code} {resp.text}"
    return str(resp.json()["access_token"])


def _refresh_token(app: Any) -> str:
    """A refresh token for the replay user, minted in the emulator's token store (the password
    flow issues none, as Salesforce)."""
    emulator = app.state.emulator
    org = emulator.org
    user, client_app = org.config.users[0], org.config.connected_apps[0]
    grant = emulator.oauth.tokens.new_refresh(user, client_app, ("api", "refresh_token"))
    return str(grant.token)


def _form(text: str, refresh: str | None) -> str:
    values = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
        "security_token": SECURITY_TOKEN,
        "refresh_token": refresh or "",
    }
    for key, value in values.items():
        text = text.replace(f"<{key}>", value).replace(f"{{{key}}}", value)
    return text


class Replay:
    """One recorded interaction against a fresh emulator org in the recorded state."""

    def __init__(self, it: Interaction) -> None:
        self.it = it
        self.org = ReplayOrg()
        self.org.prepare(it)
        self.app = create_app(self.org.org, base_url=BASE)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE)

    def url(self, url: str) -> str:
        return normalise_url(url, base=BASE, version=self.it.api_version, id_map=self.org.id_map)

    def body(self, refresh: str | None) -> bytes:
        text = self.it.request.text
        if self.it.request.path.endswith("/oauth2/token"):
            return _form(text, refresh).encode()
        text = re.sub(
            r"/services/data/(?:vxx\.0|<api_version>)",
            f"/services/data/v{self.it.api_version}",
            text,
        )
        return replace_ids(text, self.org.id_map).encode()

    async def send(self) -> httpx.Response:
        it, req = self.it, self.it.request
        headers: dict[str, str] = {}
        for name in ("Content-Type", "Sforce-Query-Options", "Accept"):
            if req.header(name):
                headers[name] = str(req.header(name))
        if req.body and "Content-Type" not in headers:
            headers["Content-Type"] = "application/json"
        refresh = _refresh_token(self.app) if it.setup.get("refresh_token") else None
        if not req.path.endswith(("/oauth2/token", "/services/data", "/services/data/")):
            token = (
                "00Dexpired!AQexpired"
                if it.setup.get("token") == "expired"
                else await _token(self.client)
            )
            headers["Authorization"] = f"Bearer {token}"
        if "bulk" in it.setup:
            return await self._bulk(headers)
        resp = await self.client.request(
            req.method, self.url(req.url), content=self.body(refresh), headers=headers
        )
        for _ in range(int(it.setup.get("follow_pages", 0))):
            page = resp.json()
            next_url = page.get("nextRecordsUrl") if isinstance(page, dict) else None
            assert next_url, f"expected another page, got {resp.text[:200]}"
            resp = await self.client.get(next_url, headers=headers)
        return resp

    async def _bulk(self, headers: dict[str, str]) -> httpx.Response:
        """Bulk API 2.0 ingest fixtures: each step after the ones before it."""
        it, step = self.it, self.it.setup["bulk"]
        version = it.api_version
        jobs = f"/services/data/v{version}/jobs/ingest"
        create = {
            "object": "Account",
            "operation": "insert",
            "contentType": "CSV",
            "lineEnding": "LF",
        }
        job = await self.client.post(jobs, json=create, headers=headers)
        if step == "create" or job.status_code != 200:  # a failed step is the answer compared
            return job
        job_id = job.json()["id"]
        csv_body = it.setup.get("csv", "Name\nFoo Bar\nBizz Buzz\n").encode()
        upload = await self.client.put(
            f"{jobs}/{job_id}/batches",
            content=csv_body,
            headers={**headers, "Content-Type": "text/csv"},
        )
        if step == "upload":
            return upload
        close = await self.client.patch(
            f"{jobs}/{job_id}", json={"state": "UploadComplete"}, headers=headers
        )
        if step == "close":
            return close
        status = await self.client.get(f"{jobs}/{job_id}", headers=headers)
        for _ in range(100):
            if status.json().get("state") in ("JobComplete", "Failed", "Aborted"):
                break
            await asyncio.sleep(0.02)
            status = await self.client.get(f"{jobs}/{job_id}", headers=headers)
        if step == "status":
            return status
        return await self.client.get(
            self.url(it.request.url).replace("{job_id}", job_id), headers=headers
        )

    def differences(self, resp: httpx.Response) -> list[str]:
        rec = self.it.response
        diffs: list[str] = []
        if resp.status_code != rec.status:
            diffs.append(f"status: recorded {rec.status}, emulator {resp.status_code}")
        diffs += compare_headers(rec.headers, dict(resp.headers), rec.status)
        # Every versioned REST answer carries the usage header (README fact 9), even where the
        # cassette elided its headers.
        versioned = re.match(r"^/services/data/v", self.it.request.path) is not None
        if versioned and rec.status != 401 and "sforce-limit-info" not in resp.headers:
            if rec.header("Sforce-Limit-Info") is None:
                diffs.append("Sforce-Limit-Info: every REST answer carries it, emulator sent none")
        if not rec.body.strip():
            if resp.content.strip():
                diffs.append(f"body: recorded empty, emulator {resp.text[:200]!r}")
            return diffs
        if "csv" in (rec.header("Content-Type") or ""):
            want, got = rec.text.splitlines()[0], (resp.text.splitlines() or [""])[0]
            if want != got:
                diffs.append(f"CSV header: recorded {want!r}, emulator {got!r}")
            return diffs
        try:
            actual = resp.json()
        except ValueError:
            return [*diffs, f"body: recorded JSON, emulator {resp.text[:200]!r}"]
        # A GET of a whole record returns every field of the org's object: the recorded org may
        # have had fewer (editions and features differ), so extra fields are org variance there.
        whole_record = self.it.request.method == "GET" and bool(
            re.match(r"^sobjects/\w+/\w{15,18}$", self.it.endpoint)
        )
        diffs += compare_shapes(
            rec.json(),
            actual,
            extra_keys_ok=self.it.extra_keys_ok,
            known_fields=self.org.known_fields,
            extra_fields_ok=whole_record,
        )
        # Live recordings also fix the wording of every error message (ids masked).
        if self.it.evidence == "recorded":
            recorded_messages, messages = _messages(rec.json()), _messages(actual)
            if recorded_messages != messages:
                diffs.append(f"error messages: recorded {recorded_messages}, emulator {messages}")
        return diffs


def _messages(body: Any) -> list[str]:
    """Every error `message` / `error_description` in a body, ids masked."""
    found: list[str] = []
    if isinstance(body, dict):
        for key in ("message", "error_description"):
            if isinstance(body.get(key), str):
                found.append(ID_RE.sub("<id>", body[key]))
        for value in body.values():
            found += _messages(value)
    elif isinstance(body, list):
        for value in body:
            found += _messages(value)
    return found


@pytest.mark.anyio
@pytest.mark.parametrize("interaction", IN_SURFACE, ids=[it.test_id for it in IN_SURFACE])
async def test_replay(interaction: Interaction) -> None:
    replay = Replay(interaction)
    async with replay.client:
        resp = await replay.send()
    diffs = replay.differences(resp)
    detail = "\n  ".join(diffs)
    assert not diffs, (
        f"{interaction.source}\n  {detail}\n  emulator body: {json.dumps(_head(resp))[:600]}"
    )


def _head(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text[:300]
