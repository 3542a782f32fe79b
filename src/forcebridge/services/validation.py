"""Checks on names and addresses shared by every service, each failing with the field named."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from forcebridge.errors import Conflict, InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def name(value: str, field: str = "name", *, max_length: int = 200) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput.field(field, "must not be empty")
    if len(cleaned) > max_length:
        raise InvalidInput.field(field, f"must be at most {max_length} characters")
    return cleaned


def unique_name(
    session: Session,
    model: Any,
    name: str,
    *,
    what: str,
    other_than: str | None,
    tenant_id: str | None = None,
    lowered: str | None = None,
    hint: str = "",
) -> None:
    """Refuse `name` (409 on the field `name`) when another row of `model` (of `tenant_id`,
    when given) has it in any case; `lowered` is the name as compared, when not just lowered."""
    query = select(model).where(
        # the same name too: SQLite's lower() leaves non-ASCII letters as they are
        or_(func.lower(model.name) == (lowered or name.lower()), model.name == name),
        model.id != other_than,
    )
    if tenant_id is not None:
        query = query.where(model.tenant_id == tenant_id)
    clash = session.scalar(query)
    if clash is not None:
        raise Conflict(f"{what} named {clash.name!r} already exists{hint}",
                       details=[{"field": "name", "reason": "already exists"}])


def email(value: str, field: str = "email") -> str:
    cleaned = value.strip()
    if not _EMAIL.match(cleaned) or len(cleaned) > 320:
        raise InvalidInput.field(field, "must be an email address like name@example.com")
    return cleaned.lower()
