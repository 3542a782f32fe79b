"""Recorded describes (CumulusCI's shared cassettes) as raw dicts and `DescribedObject`s.

Tests that need fields the recorded org lacks (external ids, a managed package's fields) add
them by copying a recorded field of the same type and changing only its name and flags, so
every attribute not under test stays what a real org answers.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import yaml
from recorded.recordings import RECORDINGS_DIR

from forcebridge.sync.schema import DescribedObject

CASSETTES = RECORDINGS_DIR / "CumulusCI/cumulusci/tests/shared_cassettes"


@cache
def _raw(name: str) -> dict[str, Any]:
    cassette = yaml.safe_load((CASSETTES / f"GET_sobjects_{name}_describe.yaml").read_text())
    body: dict[str, Any] = json.loads(cassette["response"]["body"]["string"])
    return body


def raw_describe(name: str) -> dict[str, Any]:
    """A fresh deep copy of the recorded describe of `name` (Account, Contact, Lead, ...)."""
    return copy.deepcopy(_raw(name))


def recorded_field(raw: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in raw["fields"] if f["name"] == name)


def add_field(raw: dict[str, Any], like: str, name: str, **flags: Any) -> dict[str, Any]:
    """Adds a custom field modelled on the recorded field `like` (same type and shape)."""
    field = copy.deepcopy(recorded_field(raw, like))
    field.update({"name": name, "custom": True, "label": name, **flags})
    raw["fields"].append(field)
    return field


def described(name: str) -> DescribedObject:
    return DescribedObject(raw_describe(name))
