"""Errors in a kind's config name the path under `config` and read as plain reasons."""

from __future__ import annotations

import pytest

from forcebridge.errors import InvalidInput
from forcebridge.services.integrations import parse_config


def test_an_error_of_the_config_as_a_whole_names_config() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_config("event_publish", {"target": "Acme_Event__e"})
    [detail] = caught.value.details
    assert detail["field"] == "config"
    assert detail["reason"].startswith("a platform event target needs at least one of")


def test_a_nested_error_names_its_path_without_pydantic_wording() -> None:
    raw = {
        "source": {"kind": "sql", "name": "db", "table": "a", "query": "select 1",
                   "key_column": "id"},
        "mapping": {"target": {"object": "Account"}},
    }
    with pytest.raises(InvalidInput) as caught:
        parse_config("entity_sync", raw)
    assert caught.value.details == [
        {"field": "config.source.sql", "reason": "give exactly one of table or query"}
    ]
