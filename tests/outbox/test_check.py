"""Save-time checks against the demo org, and what the configuration itself refuses."""

from __future__ import annotations

import anyio
import pydantic
import pytest

from forcebridge.kinds.event_publish import EventPublishConfig
from forcebridge.outbox.check import check_config
from forcebridge.services import connections
from tests.outbox.conftest import APEX, EVENTS, Org


def _check(org: Org, config: dict[str, object], connected: bool = True) -> list[tuple[str, str]]:
    with org.rt.db.begin() as s:
        conn_id = connections.get(s, org.tenant_id, "demo org").id if connected else None
    parsed = EventPublishConfig.model_validate(config)
    problems = anyio.run(check_config, org.rt, org.tenant_id, conn_id, parsed)
    return [(p.field, p.reason) for p in problems]


def test_valid_targets_have_no_problems(org: Org) -> None:
    assert _check(org, APEX) == []
    assert _check(org, EVENTS) == []
    assert _check(org, {"target": "acme/nowhere"}, connected=False) == []


def test_platform_event_problems_name_the_field(org: Org) -> None:
    problems = dict(_check(org, {"target": "Acme_Event__e", "payload_field": "Payload__c",
                                 "key_field": "Key__c"}))  # fmt: skip
    assert "no field Key__c" in problems["Key__c"]
    assert "required" in problems["Kind__c"]
    assert "no object" in dict(_check(org, {"target": "Nope__e", "type_field": "X__c"}))["target"]


def test_an_apex_path_nobody_serves_is_a_problem(org: Org) -> None:
    (problem,) = _check(org, {"target": "/services/apexrest/acme/nowhere"})
    assert problem[0] == "target" and "no Apex REST resource" in problem[1]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"target": "not a target!"}, "target"),
        ({"target": "acme/../x"}, "target"),
        ({"target": "Acme_Event__e"}, None),  # no field named
        ({"target": "acme/events", "type_field": "Kind__c"}, None),
        ({"target": "acme/events", "batch_size": 201}, "batch_size"),
        ({"target": "acme/events", "backoff_base_seconds": 10, "backoff_max_seconds": 5}, None),
    ],
)
def test_configuration_refusals(config: dict[str, object], field: str | None) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        EventPublishConfig.model_validate(config)
    if field:
        assert caught.value.errors()[0]["loc"][0] == field


def test_apex_paths_have_one_spelling() -> None:
    for spelled in ("acme/events", "/acme/events/", "/services/apexrest/acme/events"):
        config = EventPublishConfig(target=spelled)
        assert config.target == "/services/apexrest/acme/events"
        assert config.apex_path == "acme/events" and config.target_kind == "apex"
