"""Apex REST: calling a custom endpoint an org exposes under `/services/apexrest/`.

Apex REST answers whatever the Apex class returns (JSON, text, or nothing), and errors in the
REST API's array shape (Apex Developer Guide, "Exposing Apex Classes as REST Web Services").
Whether a call may be repeated after a lost answer depends on the endpoint, so the caller says;
by default only GET, PUT and DELETE are.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forcebridge.salesforce.session import ApiSession

PREFIX = "/services/apexrest/"


async def call(
    session: ApiSession,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    idempotent: bool | None = None,
) -> Any:
    """The decoded JSON answer, the text when it is not JSON, or None when it is empty."""
    if ".." in path.split("/"):
        raise ValueError("an Apex REST path cannot contain '..'")
    url = PREFIX + path.lstrip("/")
    if idempotent is None:
        idempotent = method.upper() in ("GET", "HEAD", "PUT", "DELETE")
    response = await session.request(method, url, json=json, params=params, idempotent=idempotent)
    if not response.content.strip():
        return None
    if "json" in response.headers.get("content-type", ""):
        return response.json()
    try:
        return jsonlib.loads(response.content)
    except ValueError:
        return response.text
