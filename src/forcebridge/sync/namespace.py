"""Managed-package namespace prefixes on object, field and relationship names.

A package installed in a customer's org gives its custom objects and fields the package's
prefix: `Balance__c` becomes `acme__Balance__c`, `Account__r` becomes `acme__Account__r`.
Users write mappings without the prefix so one mapping serves orgs with and without the
package; the prefix is applied once, when a mapping is compiled or planned.

The rule follows from how Salesforce spells API names: a custom name has exactly one `__`
(before its suffix: `__c`, `__r`, `__e`, `__mdt`, ...), a prefixed one has two, and a standard
name has none. Salesforce forbids `__` anywhere else in a name, so counting is enough.
"""

from __future__ import annotations

import re

PREFIX_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,14}$")


def valid_prefix(prefix: str) -> bool:
    """Salesforce namespace prefixes: a letter, then letters/digits, at most 15 characters."""
    return bool(PREFIX_PATTERN.match(prefix))


def is_custom(name: str) -> bool:
    """True for custom (suffixed) names, prefixed or not: `Balance__c`, `acme__Balance__c`."""
    return "__" in name


def is_prefixed(name: str) -> bool:
    """True when the name already carries a namespace (`acme__Balance__c`)."""
    return name.count("__") >= 2


def apply_prefix(name: str, prefix: str | None) -> str:
    """`name` with `prefix` applied, segment by segment for dotted paths.

    Standard names (`Name`, `AccountId`, `Account`) and names that already carry a prefix,
    this one or another package's, are returned unchanged.
    """
    if not prefix:
        return name
    if "." in name:
        return ".".join(apply_prefix(part, prefix) for part in name.split("."))
    if name.count("__") != 1 or name.startswith("__"):
        return name
    return f"{prefix}__{name}"


def strip_prefix(name: str, prefix: str | None) -> str:
    """The inverse of `apply_prefix` for names carrying exactly `prefix` (case-insensitive)."""
    if not prefix:
        return name
    if "." in name:
        return ".".join(strip_prefix(part, prefix) for part in name.split("."))
    head = f"{prefix}__"
    if is_prefixed(name) and name.lower().startswith(head.lower()):
        return name[len(head) :]
    return name
