"""SOQL: quoting values safely, and streaming a query's records across all its pages.

`soql_literal` is the only way values enter a SOQL string we build: it escapes exactly the
characters the SOQL reference lists ("Quoted String Escape Sequences": \\n \\r \\t \\b \\f \\"
\\' \\\\), so a value holding quotes or backslashes cannot end the string and change the query.
Names (objects, fields) cannot be quoted in SOQL, so `soql_name` refuses anything that is not
an identifier. `stream_records` holds one page at a time (Salesforce pages are up to 2,000
records), following `nextRecordsUrl` until the last page (sf-recordings Fact 4).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forcebridge.salesforce.session import ApiSession

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


def soql_literal(value: Any) -> str:
    """A Python value as a SOQL literal: strings quoted and escaped, dates in ISO form."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("SOQL has no literal for NaN or infinity")
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("a SOQL datetime needs a time zone")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"
    raise TypeError(f"no SOQL literal for a {type(value).__name__}")


def soql_name(name: str) -> str:
    """An object or field name for a SOQL string; anything else is refused."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"not a valid SOQL name: {name!r}")
    return name


def select_where(sobject: str, fields: list[str], field: str, value: Any, limit: int) -> str:
    """`SELECT fields FROM sobject WHERE field = value LIMIT n`, every part checked."""
    columns = ", ".join(soql_name(f) for f in fields)
    # Every part is a checked name or a soql_literal.
    where = f"{soql_name(field)} = {soql_literal(value)}"
    return f"SELECT {columns} FROM {soql_name(sobject)} WHERE {where} LIMIT {int(limit)}"  # noqa: S608


async def stream_records(
    session: ApiSession,
    soql: str,
    *,
    include_deleted: bool = False,
    batch_size: int | None = None,
) -> AsyncGenerator[dict[str, Any], None]:
    """Every record of `soql`, page after page; memory holds one page. `batch_size` (200 to
    2,000) asks for smaller pages (`Sforce-Query-Options: batchSize=N`, REST API Developer
    Guide, "Query Options Header"); Salesforce treats it as a hint."""
    resource = "queryAll" if include_deleted else "query"
    headers = {"Sforce-Query-Options": f"batchSize={int(batch_size)}"} if batch_size else None
    response = await session.request(
        "GET", session.data_path(resource), params={"q": soql}, headers=headers
    )
    while True:
        page = response.json()
        for record in page.get("records") or []:
            yield record
        next_url = page.get("nextRecordsUrl")
        if page.get("done", True) or not next_url:
            return
        del page
        response = await session.request("GET", next_url, headers=headers)


async def count(session: ApiSession, soql: str) -> int:
    """`totalSize` of a query (for `SELECT COUNT() FROM ...`, whose records are empty)."""
    response = await session.request("GET", session.data_path("query"), params={"q": soql})
    return int(response.json().get("totalSize") or 0)
