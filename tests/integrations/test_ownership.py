"""Field ownership and the reconcile schedule as users write them: checked at save with the
field named, kept through `export` and `apply -f`."""

from __future__ import annotations

import copy
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from forcebridge.errors import InvalidInput
from forcebridge.integrations import files as integration_files
from forcebridge.services.integrations import parse_config
from tests.integrations.conftest import Org, invoice_config, invoice_sync

BASE = "/api/v1/integrations"


def with_mapping(org: Org, index: int, **fields: Any) -> dict[str, Any]:
    config = invoice_config(org.files)
    config["mapping"]["mappings"][index].update(fields)
    return config


@pytest.mark.parametrize(("index", "fields", "path", "reason"), [
    (1, {"owner": "salesforce", "on_conflict": "keep"}, "config.mapping.mappings.1.on_conflict",
     "on_conflict applies to source-owned fields; Amount__c is owned by salesforce"),
    (1, {"owner": "sf"}, "config.mapping.mappings.1.owner", "'source' or 'salesforce'"),
    (2, {"on_conflict": "ignore"}, "config.mapping.mappings.2.on_conflict",
     "'overwrite', 'keep' or 'event'"),
    (0, {"owner": "salesforce"}, "config.mapping",
     "mappings[0].owner: Invoice_Number__c is the external id records are matched on"),
])
def test_a_bad_ownership_is_refused_at_save_naming_the_field(
    org: Org, api_org: TestClient, index: int, fields: dict[str, Any], path: str, reason: str,
) -> None:
    body = {**invoice_sync(org.files), "config": with_mapping(org, index, **fields)}
    response = api_org.post(BASE, json=body, headers=org.headers)
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == path and reason in detail["reason"]


def test_a_reconcile_schedule_is_checked_at_save(org: Org) -> None:
    for good in ("daily", "weekly", "off", "15 3 * * *"):
        config = parse_config("entity_sync", invoice_config(org.files, reconcile=good))
        assert config.reconcile == good  # type: ignore[union-attr]
    with pytest.raises(InvalidInput) as caught:
        parse_config("entity_sync", invoice_config(org.files, reconcile="hourly"))
    assert caught.value.details == [{
        "field": "config.reconcile",
        "reason": "'hourly' is not daily, weekly, off or a cron expression of 5 fields",
    }]


def test_ownership_goes_through_export_and_apply(org: Org) -> None:
    config = with_mapping(org, 1, on_conflict="event")
    config["mapping"]["mappings"][2]["owner"] = "salesforce"
    config["reconcile"] = "weekly"
    document = {"integrations": [{**invoice_sync(org.files), "config": config}]}

    async def apply(doc: Any) -> list[str]:
        return [a.action for a in await integration_files.apply(org.rt, org.tenant_id, doc)]

    assert anyio.run(apply, document) == ["created"]
    with org.rt.db.begin() as s:
        exported = integration_files.export(s, org.rt.vault, org.tenant_id, None)
    [one] = exported["integrations"]
    mappings = one["config"]["mapping"]["mappings"]
    assert mappings[1]["on_conflict"] == "event" and mappings[2]["owner"] == "salesforce"
    assert "owner" not in mappings[0]  # the default is left out
    assert one["config"]["reconcile"] == "weekly"
    assert anyio.run(apply, copy.deepcopy(exported)) == ["unchanged"]
