"""The values of a form post: a form-encoded or JSON body, URL parameters, or both.

Form tools post in different shapes (a browser form, a webhook's JSON, a redirect carrying URL
parameters), so all three are read into one flat `{key: value}`. Body values win over URL
parameters of the same name; a key given several times (checkboxes) becomes the values joined
with ";", which is how Salesforce writes a multi-select picklist. `token` (the hook secret in
a token hook's URL) is never a value.

Strict about what cannot be meant: a `%` not followed by two hex digits, or percent-encoded
bytes that are not UTF-8, is a malformed post (400, nothing stored); a control character (NUL
and the like; tab and line breaks are text) in a key or value is refused naming the key (422).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from forcebridge.errors import InvalidInput, Malformed, UnsupportedMedia
from forcebridge.kinds.hooks import TOKEN_PARAM

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_KEYS = 500


class UnsupportedMediaType(UnsupportedMedia):
    code = "unsupported_media_type"


class MalformedPost(Malformed):
    """Bytes that are not a well-formed form post (bad percent-encoding, not UTF-8)."""

    code = "malformed_post"


_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TEXT_CONTROLS = {"\t", "\n", "\r"}


def _check_encoding(text: str, where: str) -> None:
    """Refuse a `%` that starts no escape, and escapes that decode to bytes not UTF-8."""
    bad = _BAD_PERCENT.search(text)
    if bad is not None:
        shown = text[bad.start() : bad.start() + 3]
        raise MalformedPost(
            f"invalid percent-encoding in the {where} at character {bad.start() + 1}: "
            f"{shown!r} (write % as %25)",
            details=[{"field": where, "reason": f"invalid percent-encoding {shown!r}"}],
        )
    try:
        parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_KEYS)
    except UnicodeDecodeError:
        raise MalformedPost(
            f"percent-encoded bytes in the {where} are not UTF-8",
            details=[{"field": where, "reason": "percent-encoded bytes are not UTF-8"}],
        ) from None
    except ValueError:
        raise InvalidInput.field(where, f"more than {MAX_KEYS} keys") from None


def _control(text: str) -> str | None:
    for char in text:
        if char not in _TEXT_CONTROLS and unicodedata.category(char) == "Cc":
            return f"U+{ord(char):04X}"
    return None


def _check_controls(values: dict[str, Any]) -> None:
    """Every key and text value free of control characters; each offender named."""
    details = []
    for key, value in values.items():
        found = _control(key) or (_control(value) if isinstance(value, str) else None)
        if found is not None:
            details.append({"field": key, "reason": f"contains a control character ({found})"})
    if details:
        raise InvalidInput.from_details(details)


def _pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key == TOKEN_PARAM:
            continue
        out[key] = f"{out[key]};{value}" if key in out else value
    return out


def _form(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPost(
            "the form-encoded body is not UTF-8",
            details=[{"field": "body", "reason": "not UTF-8"}],
        ) from None
    _check_encoding(text, "body")
    try:
        return _pairs(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_KEYS))
    except ValueError:
        raise InvalidInput.field("body", f"more than {MAX_KEYS} keys") from None


def _scalar(key: str, value: Any) -> Any:
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ";".join("" if v is None else str(v) for v in value)
    if isinstance(value, dict | list):
        raise InvalidInput.field(key, "nested objects are not form values; post flat keys")
    return value


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.field("body", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput.field("body", "a JSON post must be an object of key: value")
    return {str(k): _scalar(str(k), v) for k, v in data.items() if k != TOKEN_PARAM}


def parse(
    content_type: str | None, body: bytes, query: Iterable[tuple[str, str]],
    raw_query: bytes = b"",
) -> dict[str, Any]:
    """All the posted values; 415 for a body that is neither form-encoded nor JSON, 400 for
    malformed percent-encoding (body or `raw_query`), 422 for control characters."""
    if raw_query:
        _check_encoding(raw_query.decode("latin-1"), "query")
    values = _pairs(query)
    media = (content_type or "").split(";")[0].strip().lower()
    if body.strip():
        if media in (JSON,) or media.endswith("+json"):
            values |= _json(body)
        elif media in (FORM, ""):
            values |= _form(body)
        else:
            raise UnsupportedMediaType(
                f"cannot read a {media} body; post {FORM} or {JSON}",
                details=[{"field": "content-type", "reason": f"{media} is not supported"}],
            )
    if len(values) > MAX_KEYS:
        raise InvalidInput.field("body", f"more than {MAX_KEYS} keys")
    _check_controls(values)
    return values
