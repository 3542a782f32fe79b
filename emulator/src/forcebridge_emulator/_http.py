"""The HTTP shapes every Salesforce answer shares: JSON with Salesforce's content type, error
bodies, request bodies read the way Salesforce's parser reads them, the path's API version.

Pure request/response helpers: no org state, so every layer above may use them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from forcebridge_emulator._errors import ApiError, SaveError

OLDEST_VERSION = 30
NEWEST_VERSION = 62
NOT_FOUND_MESSAGE = "The requested resource does not exist"
_VERSION_RE = re.compile(r"^v(\d+)\.0$")


class SalesforceJSON(JSONResponse):
    """JSON with the exact content type Salesforce sends (restforce-db cassettes)."""

    media_type = "application/json;charset=UTF-8"


def acting_user(request: Request) -> str | None:
    """The user id of the session making this call (CreatedById, OwnerId default)."""
    session = getattr(request.state, "session", None)
    user = getattr(session, "user", None)
    return getattr(user, "user_id", None) or None


def api_version(request: Request) -> str:
    """The `vNN.0` of the path, validated (404 NOT_FOUND outside v30.0..v62.0, as Salesforce)."""
    raw = str(request.path_params.get("version", ""))
    match = _VERSION_RE.match(raw)
    if not match or not OLDEST_VERSION <= int(match.group(1)) <= NEWEST_VERSION:
        raise ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    return raw[1:]


def version_number(request: Request) -> float:
    return float(api_version(request))


class SaveFailure(ApiError):
    """A failed single-record write: every SaveError of the result, as the REST error array."""

    def __init__(self, status: int, errors: list[SaveError]) -> None:
        first = errors[0] if errors else SaveError("UNKNOWN_EXCEPTION", "")
        super().__init__(status, first.status_code, first.message, list(first.fields))
        self.errors = errors or [first]

    def body(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for e in self.errors:
            item: dict[str, Any] = {"message": e.message, "errorCode": e.status_code}
            # An unknown column fails while the JSON is read, before any save: no `fields`
            # (restforce write_error_response.json).
            if not (e.status_code == "INVALID_FIELD" and e.message.startswith("No such column")):
                item["fields"] = list(e.fields)
            out.append(item)
        return out


def error_response(exc: ApiError) -> SalesforceJSON:
    return SalesforceJSON(exc.body(), status_code=exc.status, headers=exc.headers)


def unknown_exception_response() -> SalesforceJSON:
    """Salesforce's answer when something breaks inside it; the details stay in our log."""
    return SalesforceJSON(
        [
            {
                "errorCode": "UNKNOWN_EXCEPTION",
                "message": "An unexpected error occurred. Please include this ErrorId if you "
                "contact support: 1234567890-12345 (-1234567890)",
            }
        ],
        status_code=500,
    )


async def read_json(request: Request) -> Any:
    """The request body as JSON, or 400 JSON_PARSER_ERROR worded the way Salesforce's parser is."""
    raw = await request.body()
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise ApiError(
            400, "JSON_PARSER_ERROR", "No content to map due to end-of-input at [line:1, column:0]"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", _parser_message(text, exc)) from None


_EXPECTED = {
    "Expecting property name enclosed in double quotes": "was expecting double-quote to start "
    "field name",
    "Expecting ':' delimiter": "was expecting a colon to separate field name and value",
    "Expecting value": "expected a valid value (number, String, array, object, 'true', 'false' "
    "or 'null')",
}


def _parser_message(text: str, exc: json.JSONDecodeError) -> str:
    """Python's JSON error in the words of Salesforce's (Jackson) parser, e.g. "Unexpected
    character ('n' (code 110)): was expecting double-quote to start field name at [line:1,
    column:3]" (quoted from a test against a real org). Jackson's column is one past ours."""
    where = f"at [line:{exc.lineno}, column:{exc.colno + 1}]"
    if exc.msg.startswith("Unterminated string"):
        lines = text.split("\n")
        end = f"at [line:{len(lines)}, column:{len(lines[-1]) + 1}]"
        return f"Unexpected end-of-input: was expecting closing quote for a string value {end}"
    if exc.pos >= len(text.rstrip()):
        inside = _open_container(text[: exc.pos])
        return f"Unexpected end-of-input: expected close marker for {inside} {where}"
    char = text[exc.pos]
    if exc.msg == "Expecting ',' delimiter":
        what = f"was expecting comma to separate {_open_container(text[: exc.pos]).title()} entries"
    else:
        what = _EXPECTED.get(exc.msg, _EXPECTED["Expecting value"])
    return f"Unexpected character ('{char}' (code {ord(char)})): {what} {where}"


def _open_container(prefix: str) -> str:
    """OBJECT or ARRAY: the innermost bracket still open in `prefix` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in prefix:
        if in_string:
            escaped = not escaped and ch == "\\"
            if ch == '"' and not escaped:
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]" and stack:
            stack.pop()
    return "ARRAY" if stack and stack[-1] == "[" else "OBJECT"


async def read_json_object(request: Request) -> dict[str, Any]:
    """A JSON object body (a record); an array or scalar is a parser error, as in Salesforce."""
    body = await read_json(request)
    if not isinstance(body, dict):
        token = "START_ARRAY" if isinstance(body, list) else "VALUE_STRING"
        raise ApiError(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of SObject out of {token} token at [line:1, column:1]",
        )
    return body


def lock_fault(request: Request) -> bool:
    """True when faults chose this write to meet a row lock (handlers answer per record)."""
    return bool(getattr(request.state, "lock_fault", False))


def api_version_of_path(request: Request) -> None:
    if "version" in request.path_params:
        api_version(request)


def not_found() -> SalesforceJSON:
    return error_response(ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE))
