"""Real Salesforce traffic from sf-recordings/, loaded as one uniform list of interactions.

Why: the emulator and the client are judged against what Salesforce really sent, not against our
reading of the docs. The recordings come in four formats (CumulusCI VCR YAML with `include_file:`
and anchors, bare shared-cassette pairs, restforce-db VCR 2.9 `http_interactions`, and plain JSON
response fixtures that carry no request); this module hides the formats behind `Interaction`.

Each interaction is classified once here: inside the emulator's surface (and so replayed by
emulator/tests/test_replay.py) or outside it with the reason. Normalisation and the shape
comparator live in emulator/tests/recorded/recording_shapes.py.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from recorded.recording_fixtures import FIXTURES

_REPO = Path(__file__).resolve().parents[3]
# The repository may carry its own copy; the shared folder is the team's ground truth.
_CANDIDATES = (
    _REPO / "sf-recordings",
    _REPO.parent / "shared" / "sf-recordings",  # CI: shared/ beside the clone
    Path("/work/shared/sf-recordings"),
)
RECORDINGS_DIR: Path = next(
    (p for p in _CANDIDATES if (p / "README.md").is_file()), _CANDIDATES[-1]
)
_SHARED = "CumulusCI/cumulusci/tests/shared_cassettes"
_ELIDED = {"elided"}

# API version substituted for the masks the recordings use (see the recordings README):
# CumulusCI writes `vxx.0` (recorded 2020-2024: collections upsert answers carry `created`);
# restforce-db masks `<api_version>` (v26-era, 2015: upsert of an existing record answers 204) and
# the emulator's oldest version, 30.0, keeps that pre-v46 behaviour.
MASK_VERSIONS = {"vxx.0": "62.0", "<api_version>": "30.0"}


@dataclass(frozen=True)
class Source:
    """Where an interaction was recorded: file relative to the recordings folder, index in it."""

    file: str
    index: int
    included: str | None = None  # shared cassette pulled in by `include_file:`

    @property
    def project(self) -> str:
        return self.file.split("/", 1)[0]

    def __str__(self) -> str:
        inc = f" (include {self.included})" if self.included else ""
        return f"{self.file}#{self.index}{inc}"


def _headers(raw: Any) -> dict[str, str]:
    """VCR headers (name -> list or str) as one string per name; `Elided` placeholders dropped."""
    out: dict[str, str] = {}
    for name, value in (raw or {}).items():
        values = value if isinstance(value, list) else [value]
        kept = [str(v) for v in values if str(v).strip().lower() not in _ELIDED]
        if kept and str(name).lower() not in {"request-headers", "others"}:
            out[str(name)] = ", ".join(kept)
    return out


def _header(headers: dict[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _decode_json(body: bytes) -> Any:
    return json.loads(body.decode("utf-8")) if body.strip() else None


@dataclass(frozen=True)
class RecordedRequest:
    method: str  # upper case
    url: str  # as recorded, masks (`<host>`, `vxx.0`) kept
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return _decode_json(self.body)

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


@dataclass(frozen=True)
class RecordedResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The decoded body, or None when it is empty; raises ValueError when it is not JSON."""
        return _decode_json(self.body)

    @property
    def is_json(self) -> bool:
        try:
            self.json()
        except ValueError:
            return False
        return bool(self.body.strip())

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)


@dataclass(frozen=True)
class Interaction:
    source: Source
    request: RecordedRequest
    response: RecordedResponse
    evidence: str  # recorded | captured | fixture | hand-edited
    in_surface: bool
    reason: str  # why excluded; for in-surface ones what the replay covers
    api_version: str  # the concrete version a replay should use, e.g. "62.0"
    extra_keys_ok: bool = False  # recorded at an older API: later versions may add keys
    setup: dict[str, Any] = field(default_factory=dict)  # replay hints (fixtures)

    @property
    def endpoint(self) -> str:
        """The path after `/services/data/vNN.N/` (or the full path outside the REST API)."""
        return endpoint_of(self.request.path)

    @property
    def test_id(self) -> str:
        stem = self.source.file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if self.source.project in {"restforce", "NetCoreForce", "ReVoman", "camel"}:
            stem = _fixture_stem(self.source.file)
        elif self.source.project == "restforce-db":
            stem = "/".join(self.source.file.split("/")[2:]).rsplit(".", 1)[0][-60:]
        where = f"{self.source.project}/{stem}#{self.source.index}"
        return f"{where} {self.request.method} {self.endpoint}"


def _fixture_stem(file: str) -> str:
    for marker in ("spec/fixtures/", "responses/", "composite/", "api/dto/"):
        if marker in file:
            return file.split(marker, 1)[1].rsplit(".", 1)[0]
    return file.rsplit("/", 1)[-1]


_DATA_PATH = re.compile(r"^/services/data/(?:v\d+\.\d+|vxx\.0|<api_version>)(?:/|$)")


def endpoint_of(path: str) -> str:
    path = re.sub(r"/{2,}", "/", path)
    if _DATA_PATH.match(path):
        return _DATA_PATH.sub("", path).rstrip("/") or "(resources)"
    return path


# ---- classification --------------------------------------------------------------------------

# (regex on the path after /services/data/vNN.N/ or on the whole URL, reason). First match wins.
_OUTSIDE: list[tuple[str, str]] = [
    (r"^https?://github\.com/login/", "not Salesforce: GitHub's OAuth device flow (github.com)"),
    (
        r"^https?://raw\.githubusercontent\.com/",
        "not Salesforce: a file from raw.githubusercontent",
    ),
    (r"/services/async/", "Bulk API 1.0 (/services/async/): not in the emulator surface"),
    (r"^tooling/", "Tooling API: not in the emulator surface"),
    (r"^connect/", "Connect REST API (/connect/): not in the emulator surface"),
    (r"^composite/graph", "composite graph: not listed in the emulator surface"),
    (r"^(search|parameterizedSearch)", "SOSL search: not in the emulator surface"),
    (r"^recent", "recently viewed items: not in the emulator surface"),
    (r"/listviews/", "list views: not in the emulator surface"),
    (r"^sobjects/\w+/(updated|deleted)", "replication API (updated/deleted): not in the surface"),
]

# Whole files excluded, with the reason (prefix match on the file path).
_EXCLUDED_FILES: dict[str, str] = {
    "CumulusCI/cumulusci/tests/uncompressed_cassette.yaml": (
        "hand-edited example of the cassette format: bodies are placeholders"
    ),
    "CumulusCI/cumulusci/tests/shared_cassettes/GET_sobjects_Custom__c_describe.yaml": (
        "a custom setting (customSetting: true, `urls: {}`): the emulator declares custom "
        "objects, not custom settings"
    ),
    "CumulusCI/cumulusci/tests/cassettes/GET_sobjects_Account_PersonAccount_describe.yaml": (
        "person-account org (Account with Person* fields): emulator orgs are not person-account"
    ),
    "CumulusCI/cumulusci/utils/http/tests/cassettes/ManualEditTestCompositeParallelSalesforce": (
        "conditional describe (If-Modified-Since -> 304) inside composite: not in the surface"
    ),
    "CumulusCI/cumulusci/utils/salesforce/tests/cassettes/ManualEdit_TestCountSObjects": (
        "hand-made network error (500, empty body): a fault, not org behaviour"
    ),
    "CumulusCI/cumulusci/utils/tests/cassettes/ManualEdit_test_describe_to_sql": (
        "hand-edited describes (`urls: {a: b}`, malformed request JSON)"
    ),
}


# The objects an emulator org has: its standard objects (forcebridge_emulator._standard) and the
# custom objects the recordings use, which the replay declares in its org config.
EMULATED_OBJECTS = frozenset(
    {
        "account",
        "contact",
        "lead",
        "case",
        "opportunity",
        "contract",
        "user",
        "organization",
        "customobject__c",
        "customobjectdetail__c",
    }
)


def objects_of(url: str, body: bytes = b"") -> set[str]:
    """The sObjects a REST request names: `sobjects/{O}/...`, the FROM clauses of `q=`, and in
    a collections or composite body the records' `attributes.type` and the sub-request URLs."""
    rest = endpoint_of(urlsplit(url).path)
    found = set(re.findall(r"^(?:composite/)?sobjects/(\w+)", rest))
    text = body.decode("utf-8", errors="replace")
    if rest.startswith("composite"):
        found |= set(re.findall(r'"attributes"\s*:\s*\{\s*"type"\s*:\s*"(\w+)"', text))
        for sub in re.findall(r'"url"\s*:\s*"([^"]+)"', text):
            found |= objects_of("https://h" + sub)
    for q in parse_qs(urlsplit(url).query).get("q", []):
        while re.search(r"\([^()]*\)", q):  # subqueries name relationships, not objects
            q = re.sub(r"\([^()]*\)", "", q)
        found |= set(re.findall(r"\bfrom\s+(\w+)", q, flags=re.IGNORECASE))
    return found


# Single interactions excluded: (file, index) -> reason.
_EXCLUDED_ONES: dict[tuple[str, int], str] = {
    (
        "CumulusCI/cumulusci/utils/tests/cassettes/ManualEditTestDescribeOrg.test_minimal_schema.yaml",
        1,
    ): ("hand-edited describes inside composite (`fields: []`, trimmed keys)"),
}


@functools.cache
def _real_org_objects() -> frozenset[str]:
    """sObject names (lower case) in the recorded global describe of a real org."""
    doc = _load_yaml(RECORDINGS_DIR / _SHARED / "GET_sobjects_Global_describe.yaml")
    body = json.loads(_body(doc["response"]["body"]))
    # RecordType exists in every org but this recorded list (110 objects) lacks it.
    return frozenset(str(o["name"]).lower() for o in body["sobjects"]) | {"recordtype"}


def classify(url: str, source_file: str, index: int = 0, body: bytes = b"") -> tuple[bool, str]:
    """In the emulator's surface or not, with the reason when not."""
    for prefix, reason in _EXCLUDED_FILES.items():
        if source_file.startswith(prefix):
            return False, reason
    if (source_file, index) in _EXCLUDED_ONES:
        return False, _EXCLUDED_ONES[(source_file, index)]
    path = urlsplit(url).path
    rest = endpoint_of(path)
    for pattern, reason in _OUTSIDE:
        target = (
            url if pattern.startswith("^https?") else (path if pattern.startswith("/") else rest)
        )
        if re.search(pattern, target):
            return False, reason
    # Only objects a real org has (its global describe lists them) and the emulator lacks; an
    # object no org has (`Foo`, `XYZZY`, `Whizbang__c`) is named on purpose, to get the error.
    missing = sorted(
        o
        for o in objects_of(url, body)
        if o.lower() not in EMULATED_OBJECTS and o.lower() in _real_org_objects()
    )
    if missing:
        return False, f"standard object {', '.join(missing)} is not emulated"
    return True, ""


# ---- loading ---------------------------------------------------------------------------------


def _body(raw: Any) -> bytes:
    """A VCR body: None, a str, or {string | base64_string, encoding}."""
    if raw is None:
        return b""
    if isinstance(raw, dict):
        if raw.get("base64_string"):
            return base64.b64decode(raw["base64_string"])
        raw = raw.get("string")
    if raw is None:
        return b""
    return raw if isinstance(raw, bytes) else str(raw).encode("utf-8")


def _status(raw: Any) -> int:
    return int(raw["code"] if isinstance(raw, dict) else raw)


def _api_version(url: str) -> str:
    for mask, version in MASK_VERSIONS.items():
        if mask in url:
            return version
    found = re.search(r"/services/data/v(\d+\.\d+)", url)
    return found.group(1) if found else "62.0"


def _evidence(file: str) -> str:
    name = file.rsplit("/", 1)[-1]
    if name.startswith("ManualEdit") or "uncompressed_cassette" in name:
        return "hand-edited"
    if file.startswith(("CumulusCI/", "restforce-db/")):
        return "recorded"
    return "fixture" if file.startswith("restforce/") else "captured"


def _from_pair(pair: dict[str, Any], source: Source) -> Interaction:
    req, resp = pair["request"], pair["response"]
    url = str(req["uri"])
    in_surface, reason = classify(url, source.file, source.index, _body(req.get("body")))
    # Recordings older than the modern describe/key set: keys added later may appear on replay.
    old = source.project == "restforce-db" or _older_describe(source)
    return Interaction(
        source=source,
        request=RecordedRequest(
            str(req["method"]).upper(), url, _headers(req.get("headers")), _body(req.get("body"))
        ),
        response=RecordedResponse(
            _status(resp["status"]), _headers(resp.get("headers")), _body(resp.get("body"))
        ),
        evidence=_evidence(source.file),
        in_surface=in_surface,
        reason=reason,
        api_version=_api_version(url),
        extra_keys_ok=old,
    )


# Shared describe cassettes recorded before Salesforce added associateEntityType,
# associateParentEntity and sobjectDescribeOption to the describe (their key set is 42, not 45).
_OLDER_DESCRIBES = {
    "GET_sobjects_Account_describe.yaml",
    "GET_sobjects_Case_describe.yaml",
    "GET_sobjects_OpportunityContactRole_describe.yaml",
}


def _older_describe(source: Source) -> bool:
    name = source.included or source.file.rsplit("/", 1)[-1]
    return name in _OLDER_DESCRIBES


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        # Anchors (&id001 / *id001) are resolved by the parser; the C loader is ~10x faster.
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _cassette(rel: str) -> Iterator[Interaction]:
    doc = _load_yaml(RECORDINGS_DIR / rel)
    if "request" in doc and "response" in doc:  # bare shared-cassette pair
        yield _from_pair(doc, Source(rel, 0))
        return
    items = doc.get("interactions") or doc.get("http_interactions") or []
    for index, item in enumerate(items):
        included = item.get("include_file") if isinstance(item, dict) else None
        if included:
            pair = _load_yaml(RECORDINGS_DIR / _SHARED / included)
            yield _from_pair(pair, Source(rel, index, included))
        else:
            yield _from_pair(item, Source(rel, index))


def _fixture(rel: str) -> Interaction:
    spec = FIXTURES[rel]
    raw = (RECORDINGS_DIR / rel).read_bytes()
    body, headers = raw, {}
    if spec.get("csv"):  # CSV results stored as a JSON string
        body, headers = json.loads(raw).encode("utf-8"), {"Content-Type": "text/csv"}
    elif raw.strip() and raw.strip() != b'""':
        headers = {"Content-Type": "application/json;charset=UTF-8"}  # synthesised: see FIXTURES
    else:
        body = b""
    version = spec.get("version", "62.0")
    path = spec["path"].replace("{v}", f"v{version}")
    url = "https://<host>" + path
    request_body = spec.get("body")
    if request_body is not None and not isinstance(request_body, str | bytes):
        request_body = json.dumps(request_body)
    in_surface, reason = classify(url, rel, 0, _body(request_body))
    if spec.get("exclude"):
        in_surface, reason = False, spec["exclude"]
    return Interaction(
        source=Source(rel, 0),
        request=RecordedRequest(
            spec["method"], url, dict(spec.get("headers", {})), _body(request_body)
        ),
        response=RecordedResponse(spec["status"], headers, body),
        evidence=_evidence(rel),
        in_surface=in_surface,
        reason=reason,
        api_version=version,
        extra_keys_ok=bool(spec.get("extra_keys_ok", False)),
        setup=dict(spec.get("setup", {})),
    )


def recording_files() -> list[str]:
    """Every data file in the recordings folder (licences, README and templates aside)."""
    out = []
    for path in sorted(RECORDINGS_DIR.rglob("*")):
        rel = path.relative_to(RECORDINGS_DIR).as_posix()
        if path.is_file() and path.suffix in {".yaml", ".yml", ".json"}:
            out.append(rel)
    return out


@functools.cache
def load_interactions() -> tuple[Interaction, ...]:
    """All interactions, in file order. Raises KeyError for a JSON fixture missing from FIXTURES."""
    out: list[Interaction] = []
    for rel in recording_files():
        if rel.endswith((".yaml", ".yml")):
            out.extend(_cassette(rel))
        else:
            out.append(_fixture(rel))
    return tuple(out)


def iter_interactions() -> Iterator[Interaction]:
    """Every recorded interaction and fixture (see `Interaction.in_surface` / `.reason`)."""
    yield from load_interactions()


def find(file_part: str, index: int = 0) -> Interaction:
    """The interaction at `index` of the first file whose path contains `file_part`
    (e.g. `find("TestUpsert.test_upsert__rest", 9)`); raises LookupError if there is none."""
    for it in load_interactions():
        if file_part in it.source.file and it.source.index == index:
            return it
    raise LookupError(f"no recorded interaction {file_part}#{index}")
