"""Normalising recorded traffic and comparing the shape of two Salesforce answers.

Why: a replay can never reproduce recorded values (ids, timestamps, hosts and API versions
differ by org and by day, fixtures were edited by hand), but it must reproduce the *shape*: the
same keys, the same JSON types, the same error codes, the same date formats. `compare_shapes`
returns every difference as `path: what differs`, so a failing replay says exactly what to fix.
Pure functions only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ID_RE = re.compile(r"\b[a-zA-Z0-9]{3}[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?\b")
# Salesforce REST datetimes: 2017-04-25T15:17:55.000+0000 (what the recordings show).
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VERSION_IN_PATH = re.compile(r"/services/data/(?:v\d+\.\d+|vxx\.0|<api_version>)")
_HOST = re.compile(r"https://(?:<host>|[a-zA-Z0-9.-]+\.(?:salesforce|force)\.com)")
_SFID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")

# Values that carry meaning, not data: they must be equal, not just of the same type.
EXACT_KEYS = frozenset(
    {"errorCode", "statusCode", "error", "success", "created", "httpStatusCode", "done"}
)
# Describe field attributes that decide what a client may send (README facts 6): for fields
# paired by name between the recorded describe and the emulator's, they must be equal.
# (A shared-cassette or 2015 describe must say the same of Account.Name as the emulator.)
FIELD_EXACT_KEYS = frozenset(
    {
        "type",
        "soapType",
        "nillable",
        "createable",
        "updateable",
        "defaultedOnCreate",
        "externalId",
        "idLookup",
        "length",
        "byteLength",
        "unique",
        "autoNumber",
        "calculated",
    }
)
_DESCRIBE_FIELD = re.compile(r"\.fields\[[^\]]+\]$")
# Envelope keys that are never empty when Salesforce sent them filled: null on the emulator's
# side is a difference there (elsewhere null matches any type: values differ by org).
NON_NULL_KEYS = frozenset(
    {
        "body",
        "records",
        "totalSize",
        "id",
        "success",
        "errors",
        "compositeResponse",
        "referenceId",
        "nextRecordsUrl",
        "access_token",
        "instance_url",
        "token_type",
        "issued_at",
        "signature",
        "sobjects",
        "fields",
        "urls",
        "attributes",
        "type",
    }
)


def replace_ids(text: str, id_map: Mapping[str, str]) -> str:
    """Recorded record ids (15 or 18 chars) swapped for the emulator's ones, longest first."""
    for old in sorted(id_map, key=len, reverse=True):
        text = text.replace(old, id_map[old])
    return text


def normalise_url(
    url: str, *, base: str, version: str, id_map: Mapping[str, str] | None = None
) -> str:
    """A recorded URL aimed at the emulator: host -> `base`, masked/old version -> `version`."""
    url = _HOST.sub(base.rstrip("/"), url, count=1)
    url = _VERSION_IN_PATH.sub(f"/services/data/v{version}", url)
    url = re.sub(r"(?<!:)//+", "/", url)  # CumulusCI recorded `.com//services/...`
    return replace_ids(url, id_map or {})


def placeholder(value: str) -> str:
    """The class of a string for display and format checks: <datetime>, <date>, <id>, or itself
    with hosts and API versions masked."""
    if DATETIME_RE.match(value):
        return "<datetime>"
    if DATE_RE.match(value):
        return "<date>"
    if _SFID.match(value) and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
        return "<id>"
    value = _HOST.sub("https://<host>", value)
    return _VERSION_IN_PATH.sub("/services/data/<v>", value)


def canonical(value: Any) -> Any:
    """A JSON value with every string replaced by its `placeholder` (for readable diffs)."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return placeholder(value) if isinstance(value, str) else value


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _string_format(value: str) -> str | None:
    if DATETIME_RE.match(value):
        return "datetime"
    if DATE_RE.match(value):
        return "date"
    if value.startswith("/services/data/"):
        return "REST path"
    return None


KnownFields = Callable[[str], set[str] | None]


def compare_shapes(
    recorded: Any,
    actual: Any,
    *,
    extra_keys_ok: bool = False,
    known_fields: KnownFields | None = None,
    extra_fields_ok: bool = False,
    path: str = "$",
) -> list[str]:
    """Differences in shape between a recorded JSON body and the emulator's, empty when alike.

    Rules: null matches any type (a value may be empty in one org and set in another); numbers
    are one type; objects need the same keys (the emulator may add keys when the recording
    predates them and `extra_keys_ok`; a record may lack fields its org never had: `known_fields`
    (sObject -> field names the emulator knows) lets recorded fields unknown to the emulator
    go, and with `extra_fields_ok` a record may carry fields the recorded org did not have, as a
    GET of a whole record does); lists are compared element by element by shape, tolerant of
    the count (describe lists
    pair by `name`); `EXACT_KEYS` must be equal, `NON_NULL_KEYS` not null; datetimes, dates and REST paths keep their format.
    """
    diffs: list[str] = []
    rtype, atype = json_type(recorded), json_type(actual)
    if "null" in (rtype, atype):
        return diffs
    if rtype != atype:
        return [f"{path}: recorded {rtype} {_short(recorded)}, emulator {atype} {_short(actual)}"]
    opts = _Options(extra_keys_ok, known_fields, extra_fields_ok)
    if rtype == "object":
        diffs += _compare_objects(recorded, actual, opts, path)
    elif rtype == "array":
        diffs += _compare_lists(recorded, actual, opts, path)
    elif rtype == "string":
        want, got = _string_format(recorded), _string_format(actual)
        if want and want != got:
            diffs.append(f"{path}: recorded a {want} {recorded!r}, emulator {actual!r}")
        elif _is_id_key(path) and _ID18.match(recorded) and not _ID18.match(actual):
            diffs.append(f"{path}: recorded an 18-character id {recorded!r}, emulator {actual!r}")
    return diffs


_ID18 = re.compile(r"^[a-zA-Z0-9]{18}$")


def _is_id_key(path: str) -> bool:
    """`id`, `Id`, `AccountId`, `OwnerId`...: where Salesforce answers 18-character ids."""
    key = path.rsplit(".", 1)[-1]
    return key in ("id", "Id") or (key.endswith("Id") and key[0].isupper())


@dataclass(frozen=True)
class _Options:
    extra_keys_ok: bool
    known_fields: KnownFields | None
    extra_fields_ok: bool

    def kwargs(self) -> dict[str, Any]:
        return {
            "extra_keys_ok": self.extra_keys_ok,
            "known_fields": self.known_fields,
            "extra_fields_ok": self.extra_fields_ok,
        }


def _compare_objects(
    recorded: dict[str, Any], actual: dict[str, Any], opts: _Options, path: str
) -> list[str]:
    diffs: list[str] = []
    missing = [k for k in recorded if k not in actual]
    sobject = (
        recorded.get("attributes", {}).get("type")
        if isinstance(recorded.get("attributes"), dict)
        else None
    )
    if sobject and opts.known_fields is not None:
        fields = opts.known_fields(sobject)
        if fields is not None:
            lowered = {f.lower() for f in fields}
            missing = [k for k in missing if k.lower() in lowered]
    if missing:
        diffs.append(f"{path}: keys missing from the emulator: {sorted(missing)}")
    extra = [k for k in actual if k not in recorded]
    if extra and not opts.extra_keys_ok and not (sobject and opts.extra_fields_ok):
        diffs.append(f"{path}: keys the recording does not have: {sorted(extra)}")
    for key in recorded:
        if key not in actual:
            continue
        sub = f"{path}.{key}"
        if key in NON_NULL_KEYS and recorded[key] is not None and actual[key] is None:
            diffs.append(f"{sub}: recorded {json_type(recorded[key])}, emulator null")
            continue
        exact = key in EXACT_KEYS or (
            key in FIELD_EXACT_KEYS
            and _DESCRIBE_FIELD.search(path) is not None
            # Older recordings: picklist lengths grew to 255 in later API versions.
            and not (opts.extra_keys_ok and key in ("length", "byteLength"))
        )
        if exact and recorded[key] != actual[key] and None not in (recorded[key], actual[key]):
            diffs.append(f"{sub}: recorded {recorded[key]!r}, emulator {actual[key]!r}")
            continue
        diffs += compare_shapes(recorded[key], actual[key], path=sub, **opts.kwargs())
    return diffs


def _compare_lists(recorded: list[Any], actual: list[Any], opts: _Options, path: str) -> list[str]:
    if not recorded or not actual:
        if recorded and path.endswith(".records"):
            return [f"{path}: recorded {len(recorded)} records, emulator none"]
        return []
    by_name = _pair_by_name(recorded, actual)
    if by_name is not None:
        pairs = by_name
    else:
        pairs = [(i, recorded[min(i, len(recorded) - 1)], a) for i, a in enumerate(actual)]
    diffs: list[str] = []
    for label, rec, act in pairs:
        diffs += compare_shapes(rec, act, path=f"{path}[{label}]", **opts.kwargs())
        if len(diffs) > 20:
            return [*diffs[:20], f"{path}: ... more differences"]
    return diffs


def _pair_by_name(recorded: list[Any], actual: list[Any]) -> list[tuple[Any, Any, Any]] | None:
    """Describe lists (fields, sobjects, childRelationships) pair by `name` when both have it."""
    if not all(
        isinstance(x, dict) and isinstance(x.get("name"), str) for x in (*recorded, *actual)
    ):
        return None
    rec = {x["name"].lower(): x for x in recorded}
    pairs = [(a["name"], rec[a["name"].lower()], a) for a in actual if a["name"].lower() in rec]
    return pairs or None


def _short(value: Any) -> str:
    text = repr(canonical(value))
    return text if len(text) <= 80 else text[:77] + "..."


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset(content_type: str | None) -> str | None:
    found = re.search(r"charset=([\w-]+)", content_type or "", flags=re.IGNORECASE)
    return found.group(1).lower() if found else None


def compare_headers(
    recorded: Mapping[str, str], actual: Mapping[str, str], status: int
) -> list[str]:
    """The headers that matter: Content-Type, Sforce-Limit-Info presence, WWW-Authenticate on
    401, Location where recorded. `recorded` keys are as recorded; `actual` is case-insensitive."""
    rec = {k.lower(): v for k, v in recorded.items()}
    act = {k.lower(): v for k, v in actual.items()}
    diffs: list[str] = []
    want_type, got_type = rec.get("content-type"), act.get("content-type")
    if want_type is not None and (
        media_type(want_type) != media_type(got_type)
        or charset(want_type) not in (None, charset(got_type))
    ):
        diffs.append(
            f"Content-Type: recorded {rec['content-type']!r}, emulator {act.get('content-type')!r}"
        )
    if "sforce-limit-info" in rec and "sforce-limit-info" not in act:
        diffs.append("Sforce-Limit-Info: recorded, emulator sent none")
    if status == 401 and rec.get("www-authenticate", "Token") != act.get("www-authenticate"):
        diffs.append(
            f"WWW-Authenticate: expected 'Token', emulator {act.get('www-authenticate')!r}"
        )
    if "location" in rec:
        want, got = placeholder(rec["location"]), act.get("location")
        if got is None or not got.startswith("/services/data/"):
            diffs.append(f"Location: recorded {want!r}, emulator {got!r}")
    return diffs
