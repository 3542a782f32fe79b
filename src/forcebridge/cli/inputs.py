"""What a user types that is more than a word: a JSON object given to an option."""

from __future__ import annotations

import json
from typing import Any

from forcebridge.errors import InvalidInput


def json_object(text: str, option: str, *, what: str = "a JSON object") -> dict[str, Any]:
    """`text` parsed as a JSON object; anything else is an error naming `option`."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise InvalidInput.field(option, f"not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidInput.field(option, f"must be {what}")
    return body
