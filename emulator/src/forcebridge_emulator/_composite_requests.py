"""The Composite resource: up to 25 subrequests run in order within one API call.

Each subrequest goes through the same handlers as a direct call; `@{refId.path}` references
are resolved from earlier results. Sub-responses have `body`, `httpHeaders`, `httpStatusCode`
and `referenceId` and the whole answer is HTTP 200 (README "Facts" 3). With `allOrNone` a
failure rolls everything back and every other subrequest says PROCESSING_HALTED; without it,
subrequests that reference a failed one are halted. Wording as in the ReVoman and camel
captures; behaviour per the REST API Developer Guide, "Composite" (resources_composite_composite).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from forcebridge_emulator._composite import BASE, Rollback, flag
from forcebridge_emulator._errors import ApiError
from forcebridge_emulator._http import (
    SalesforceJSON,
    acting_user,
    lock_fault,
    read_json,
)
from forcebridge_emulator._parent_locks import lock_message
from forcebridge_emulator._pipeline import WRITE_METHODS, emulator_of, sf_route

MAX_SUBREQUESTS = 25
HALTED_ROLLBACK = (
    "The transaction was rolled back since another operation in the same transaction failed."
)
_REF_RE = re.compile(r"@\{([^}]*)\}")
_PATH_STEP_RE = re.compile(r"([A-Za-z0-9_]+)|\[(\d+)\]")


def _halted(message: str) -> dict[str, Any]:
    return {
        "body": [{"errorCode": "PROCESSING_HALTED", "message": message}],
        "httpHeaders": {},
        "httpStatusCode": 400,
    }


class _Unresolved(Exception):
    def __init__(self, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.ref = ref


def _lookup(expr: str, results: dict[str, Any], failed: set[str]) -> Any:
    ref_id = expr.partition(".")[0]
    ref_id = ref_id.split("[", 1)[0]
    if ref_id in failed:
        raise _Unresolved(f"Execution halted as previous operation ({ref_id}) was not successful.")
    bad = (
        f"Invalid reference specified. No value for {expr} found in {ref_id}. Provided "
        f"referenceId ('{expr}') must start with a letter or a number, and it can contain only "
        "letters, numbers and underscores ('_')."
    )
    if ref_id not in results:
        raise _Unresolved(bad)
    value: Any = results[ref_id]
    for name, index in _PATH_STEP_RE.findall(expr[len(ref_id) :]):
        try:
            value = value[int(index)] if index else value[name]
        except (KeyError, IndexError, TypeError, ValueError):
            raise _Unresolved(bad) from None
    if value is None or isinstance(value, dict | list):
        raise _Unresolved(bad)
    return value


def _resolve(value: Any, results: dict[str, Any], failed: set[str]) -> Any:
    """Replace every `@{ref.path}` in strings of `value` with the referenced result's value."""
    if isinstance(value, str):
        whole = _REF_RE.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), results, failed)
        return _REF_RE.sub(lambda m: str(_lookup(m.group(1), results, failed)), value)
    if isinstance(value, dict):
        return {k: _resolve(v, results, failed) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results, failed) for v in value]
    return value


async def _dispatch(
    request: Request, method: str, url: str, body: Any
) -> tuple[int, Any, dict[str, str]]:
    """Run one subrequest through the same handlers as a direct call, within this API call."""
    parts = urlsplit(url)
    raw = b"" if body is None else json.dumps(body).encode()
    scope: dict[str, Any] = {
        "type": "http",
        "method": method.upper(),
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "root_path": "",
        "query_string": parts.query.encode(),
        "headers": [(b"content-type", b"application/json")],
        "app": request.app,
        "state": {"session": request.state.session, "lock_fault": lock_fault(request)},
    }
    handler = None
    per_record = False
    for route in request.app.routes:
        if not isinstance(route, Route) or not hasattr(route.endpoint, "sf_handler"):
            continue
        match, child = route.matches(scope)
        if match is Match.FULL:
            scope.update(child)
            handler = route.endpoint.sf_handler
            per_record = bool(getattr(route.endpoint, "per_record_faults", False))
            break
    if handler is None or parts.path.rstrip("/").endswith("/composite"):
        return (
            404,
            [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
            {},
        )
    if lock_fault(request) and scope["method"] in WRITE_METHODS and not per_record:
        request.state.lock_fault = False  # one locked row per call
        locked = scope["path_params"].get("record_id") or acting_user(request) or ""
        error = ApiError(400, "UNABLE_TO_LOCK_ROW", lock_message(str(locked)), [])
        return error.status, error.body(), {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    sub = Request(scope, receive)
    try:
        response = await handler(sub)
    except ApiError as exc:
        return exc.status, exc.body(), {}
    content = bytes(response.body) if response.body else b""
    payload = json.loads(content) if content else None
    headers: dict[str, str] = {}
    location = response.headers.get("location")
    if location:
        headers["Location"] = location
        if isinstance(payload, dict):
            # camel composite_response_example_success.json: creates inside a composite
            # carry `warnings` (direct creates, recorded by CumulusCI, do not).
            payload.setdefault("warnings", [])
    return response.status_code, payload, headers


async def composite(request: Request) -> Response:
    body = await read_json(request)
    subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subrequests, list) or not subrequests:
        raise ApiError(400, "JSON_PARSER_ERROR", "Required field 'compositeRequest' is missing")
    if len(subrequests) > MAX_SUBREQUESTS:
        # No recording or documented wording exists for this refusal; the limit is documented.
        raise ApiError(
            400,
            "LIMIT_EXCEEDED",
            f"A composite request can have at most {MAX_SUBREQUESTS} subrequests",
        )
    all_or_none = flag(body.get("allOrNone"))
    org = emulator_of(request).org
    responses: list[dict[str, Any]] = []
    if not all_or_none:
        await _run_subrequests(request, subrequests, responses, halt_on_error=False)
        return SalesforceJSON({"compositeResponse": responses})
    try:
        with org.transaction():
            await _run_subrequests(request, subrequests, responses, halt_on_error=True)
            if any(r["httpStatusCode"] >= 400 for r in responses):
                raise Rollback
    except Rollback:
        failure = next(i for i, r in enumerate(responses) if r["httpStatusCode"] >= 400)
        for i, sub in enumerate(subrequests):
            if i == failure:
                continue
            item = _halted(HALTED_ROLLBACK)
            item["referenceId"] = _ref_of(sub)
            if i < len(responses):
                responses[i] = item
            else:
                responses.append(item)
    return SalesforceJSON({"compositeResponse": responses})


def _ref_of(sub: Any) -> Any:
    return sub.get("referenceId") if isinstance(sub, dict) else None


async def _run_subrequests(
    request: Request,
    subrequests: list[Any],
    responses: list[dict[str, Any]],
    *,
    halt_on_error: bool,
) -> None:
    results: dict[str, Any] = {}
    failed: set[str] = set()
    for sub in subrequests:
        ref = _ref_of(sub)
        item: dict[str, Any]
        if not isinstance(sub, dict) or not isinstance(sub.get("url"), str):
            item = {
                "body": [
                    {
                        "errorCode": "JSON_PARSER_ERROR",
                        "message": "Each subrequest needs a method, url and referenceId",
                    }
                ],
                "httpHeaders": {},
                "httpStatusCode": 400,
            }
        else:
            try:
                url = _resolve(sub["url"], results, failed)
                payload = _resolve(sub.get("body"), results, failed)
            except _Unresolved as exc:
                item = _halted(exc.message)
            else:
                status, out, headers = await _dispatch(
                    request, str(sub.get("method", "GET")), str(url), payload
                )
                item = {"body": out, "httpHeaders": headers, "httpStatusCode": status}
        item["referenceId"] = ref
        responses.append(item)
        if item["httpStatusCode"] >= 400:
            if isinstance(ref, str):
                failed.add(ref)
            if halt_on_error:
                return
        elif isinstance(ref, str):
            results[ref] = item["body"]


def routes() -> list[BaseRoute]:
    return [*sf_route(BASE, composite, ["POST"], per_record_faults=True)]
