"""The values of a form post: a form-encoded or JSON body, URL parameters, or both.

Form tools post in different shapes (a browser form, a webhook's JSON, a redirect carrying URL
parameters), so all three are read into one flat `{key: value}`. Body values win over URL
parameters of the same name; a key given several times (checkboxes) becomes the values joined
with ";", which is how Salesforce writes a multi-select picklist. `token` (the hook secret in
a token hook's URL) is never a value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from forcebridge.errors import ForcebridgeError, InvalidInput
from forcebridge.forms.hooks import TOKEN_PARAM

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_KEYS = 500


class UnsupportedMediaType(ForcebridgeError):
    code = "unsupported_media_type"
    status = 415


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
        raise InvalidInput.field("body", "form-encoded body is not UTF-8") from None
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
    content_type: str | None, body: bytes, query: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """All the posted values; 415 for a body that is neither form-encoded nor JSON."""
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
    return values
