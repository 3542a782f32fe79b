"""Checks on names and addresses shared by every service, each failing with the field named."""

from __future__ import annotations

import re

from forcebridge.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def name(value: str, field: str = "name", *, max_length: int = 200) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput.field(field, "must not be empty")
    if len(cleaned) > max_length:
        raise InvalidInput.field(field, f"must be at most {max_length} characters")
    return cleaned


def email(value: str, field: str = "email") -> str:
    cleaned = value.strip()
    if not _EMAIL.match(cleaned) or len(cleaned) > 320:
        raise InvalidInput.field(field, "must be an email address like name@example.com")
    return cleaned.lower()
