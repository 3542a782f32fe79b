"""What deleting a parent does to its children, driven by the recorded childRelationships.

Real describes say, per child relationship, `cascadeDelete` (Account -> Contacts,
Opportunities: the children go to the recycle bin with the parent) and `restrictedDelete`
(Account/Contact -> Cases: the delete fails while children exist). Any other lookup to the
deleted parent is cleared. Undelete brings cascaded children back and restores cleared lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forcebridge_emulator._errors import SaveError
from forcebridge_emulator._table import Table


@dataclass(frozen=True)
class ChildLink:
    child: Table
    field: str
    cascade: bool
    restricted: bool
    # Both flags set (Account -> Contracts): cascade, but an activated child blocks the delete.
    activated_blocks: bool = False


def links(parent: Table, tables: dict[str, Table]) -> list[ChildLink]:
    """The parent's child relationships whose child object and field the org models."""
    out: list[ChildLink] = []
    seen: set[tuple[str, str]] = set()
    for rel in parent.obj.child_relationships:
        child = tables.get(str(rel["childSObject"]).lower())
        name = str(rel["field"])
        if child is None or name not in child.obj.fields or child.is_event:
            continue
        if (child.obj.name, name) in seen:
            continue
        seen.add((child.obj.name, name))
        cascade = bool(rel.get("cascadeDelete"))
        restricted = bool(rel.get("restrictedDelete"))
        out.append(
            ChildLink(child, name, cascade, restricted and not cascade, restricted and cascade)
        )
    return out


def plan(
    table: Table, rec: dict[str, Any], links_of: Callable[[Table], list[ChildLink]]
) -> list[tuple[Table, dict[str, Any]]] | SaveError:
    """Every record a delete of `rec` removes (itself first, then cascaded descendants), or
    the DELETE_FAILED error if any of them has restricting children. Nothing is changed."""
    out: list[tuple[Table, dict[str, Any]]] = []
    stack = [(table, rec)]
    seen: set[str] = set()
    while stack:
        t, r = stack.pop()
        if r["Id"] in seen:
            continue
        seen.add(r["Id"])
        out.append((t, r))
        for link in links_of(t):
            refused = restriction(t, r, [link])
            if refused is not None:
                return refused
            if link.cascade:
                for cid in link.child.referencing(link.field, r["Id"]):
                    stack.append((link.child, link.child.records[cid]))
    return out


def restriction(
    parent: Table, rec: dict[str, Any], child_links: list[ChildLink]
) -> SaveError | None:
    """DELETE_FAILED when a restricted child relationship still has live children."""
    for link in child_links:
        if not (link.restricted or link.activated_blocks):
            continue
        blocking = link.child.referencing(link.field, rec["Id"])
        if link.activated_blocks:
            blocking = [c for c in blocking if _activated(link.child.records[c])]
        if blocking:
            names = []
            for cid in blocking[:10]:
                child = link.child.records[cid]
                names.append(str(_display_name(child) or cid))
            plural = str(link.child.obj.attrs.get("labelPlural") or link.child.obj.name).lower()
            return SaveError(
                "DELETE_FAILED",
                f"Your attempt to delete {_display_name(rec) or rec['Id']} could not be completed "
                f"because it is associated with the following {plural}.: {', '.join(names)}",
                [],
            )
    return None


def _activated(rec: dict[str, Any]) -> bool:
    return "Activated" in (rec.get("StatusCode"), rec.get("Status"))


def _display_name(rec: dict[str, Any]) -> Any:
    for key in ("Name", "CaseNumber", "ContractNumber", "Subject"):
        if rec.get(key):
            return rec[key]
    return None
