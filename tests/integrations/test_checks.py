"""Saving runs the kind's checks against the org and refuses what cannot work, naming it all.

The entity-sync checks are the runs engine's (`forcebridge.runs.plan.check_config`); these
tests describe the emulated demo org through a real connection.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from forcebridge.integrations import checks as integration_checks
from forcebridge.store.models import AuditEntry
from tests.integrations.conftest import Org, invoice_config, invoice_sync

BASE = "/api/v1/integrations"


@pytest.fixture
def entity_checks() -> None:
    pytest.importorskip("forcebridge.runs.plan", reason="the runs engine's checks are not here")


def broken_config(org: Org) -> dict[str, Any]:
    """Three problems at once: a missing column, a picklist value the org refuses, no field."""
    config = invoice_config(org.files)
    mappings = config["mapping"]["mappings"]
    mappings[1] = {"field": "Amount__c", "column": "amont"}
    mappings[2] = {"field": "Status__c", "column": "status",
                   "transform": {"type": "value_map", "values": {"sent": "Shipped"}}}
    mappings.append({"field": "Nope__c", "constant": "x"})
    return config


def problems(resp: Any) -> dict[str, str]:
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "invalid_mapping", error
    return {d["field"]: d["reason"] for d in error["details"]}


def test_a_mapping_that_cannot_work_is_refused_with_every_problem(
    api_org: TestClient, org: Org, entity_checks: None
) -> None:
    body = invoice_sync(org.files, config=broken_config(org))
    found = problems(api_org.post(BASE, json=body, headers=org.headers))
    assert {"Amount__c", "Status__c", "Nope__c"} <= set(found)
    assert "amont" in found["Amount__c"] and "Shipped" in found["Status__c"]
    assert api_org.get(BASE, headers=org.headers).json() == []
    with org.rt.db.begin() as s:
        assert s.query(AuditEntry).filter(AuditEntry.action == "integration.create").count() == 0

    missing = invoice_sync(org.files, config=invoice_config(
        org.files, mapping={"target": {"object": "Invoicee__c",
                                       "external_id_field": "Invoice_Number__c"}}))
    assert "Invoicee__c" in problems(api_org.post(BASE, json=missing, headers=org.headers))


def test_attaching_a_connection_runs_the_checks(
    api_org: TestClient, org: Org, entity_checks: None
) -> None:
    body = invoice_sync(org.files, connection=None, config=broken_config(org))
    made = api_org.post(BASE, json=body, headers=org.headers)
    assert made.status_code == 201, made.text  # nothing to check against yet
    refused = api_org.post(f"{BASE}/invoices/connection", json={"connection": "demo org"},
                           headers=org.headers)
    assert "Nope__c" in problems(refused)
    assert api_org.get(f"{BASE}/invoices", headers=org.headers).json()["connected"] is False
    fixed = api_org.patch(f"{BASE}/invoices", json={"config": invoice_config(org.files),
                                                    "connection": "demo org"},
                          headers=org.headers)
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["connected"] is True


def test_a_changed_config_is_checked_and_refused_unchanged(
    api_org: TestClient, org: Org, entity_checks: None
) -> None:
    made = api_org.post(BASE, json=invoice_sync(org.files), headers=org.headers).json()
    refused = api_org.patch(f"{BASE}/invoices", json={"config": broken_config(org)},
                            headers=org.headers)
    assert "Nope__c" in problems(refused)
    assert api_org.get(f"{BASE}/invoices", headers=org.headers).json() == made
    # mode update needs no create-only fields, but still an external id to match on
    update_only = invoice_config(org.files, mode="update")
    update_only["mapping"]["target"]["external_id_field"] = None
    assert "external_id_field" in problems(api_org.patch(
        f"{BASE}/invoices", json={"config": update_only}, headers=org.headers))


def test_a_managed_namespace_is_applied_to_objects_and_fields(
    api_org: TestClient, org: Org, entity_checks: None
) -> None:
    (org.files / "balances.jsonl").write_text(
        '{"id": "B-1", "account": "A-1", "amount": 10.5, "as_of": "2024-01-31"}\n')
    config: dict[str, Any] = {
        "source": {"kind": "jsonl", "name": "files", "path": "balances.jsonl", "key_column": "id"},
        "mapping": {
            "target": {"object": "Balance__c", "external_id_field": "External_Id__c",
                       "namespace": {"kind": "managed", "prefix": "acme"}},
            "mappings": [
                {"field": "External_Id__c", "column": "id"},
                {"field": "Amount__c", "column": "amount"},
                {"field": "As_Of__c", "column": "as_of", "transform": {"type": "date"}},
                {"field": "Account__c", "column": "account",
                 "transform": {"type": "reference", "external_id_field": "Account_Id__c"}},
            ],
        },
    }
    body = {"name": "balances", "kind": "entity_sync", "connection": "demo org", "config": config}
    made = api_org.post(BASE, json=body, headers=org.headers)
    assert made.status_code == 201, made.text
    config["mapping"]["target"]["namespace"] = {"kind": "none"}
    refused = api_org.post(BASE, json={**body, "name": "plain"}, headers=org.headers)
    assert "Balance__c" in problems(refused)


def test_the_registry_skips_kinds_without_a_check() -> None:
    assert integration_checks.checker("unknown_kind") is None
    no_connection = anyio.run(
        integration_checks.check_config, None, "tenant", "inbound_form", None, {}
    )
    assert no_connection == []


def test_an_inbound_form_must_map_what_salesforce_requires_on_create(
    api_org: TestClient, org: Org
) -> None:
    pytest.importorskip("forcebridge.forms.check", reason="the forms checks are not here")
    body: dict[str, Any] = {"name": "leads", "kind": "inbound_form", "connection": "demo org",
                            "config": {"object": "Lead",
                                       "mappings": [{"field": "Email", "column": "email"}]}}
    found = problems(api_org.post(BASE, json=body, headers=org.headers))
    assert {"LastName", "Company"} <= set(found)
    assert "required" in found["LastName"] and "not mapped" in found["LastName"]
    assert api_org.get(BASE, headers=org.headers).json() == []
    body["config"]["mappings"] += [{"field": "LastName", "column": "last_name"},
                                   {"field": "Company", "column": "company"}]
    made = api_org.post(BASE, json=body, headers=org.headers)
    assert made.status_code == 201, made.text


def test_event_publishing_targets_are_checked(api_org: TestClient, org: Org) -> None:
    pytest.importorskip("forcebridge.outbox.check", reason="the outbox checks are not here")

    def body(name: str, **config: Any) -> dict[str, Any]:
        return {"name": name, "kind": "event_publish", "connection": "demo org",
                "config": config}

    apex = api_org.post(BASE, json=body("apex", target="/services/apexrest/acme/events"),
                        headers=org.headers)
    assert apex.status_code == 201, apex.text
    missing = api_org.post(BASE, json=body("nowhere", target="acme/nowhere"),
                           headers=org.headers)
    assert "target" in problems(missing)
    event = body("event", target="Acme_Event__e", payload_field="Payload__c")
    assert "Kind__c" in problems(api_org.post(BASE, json=event, headers=org.headers))
    assert [i["name"] for i in api_org.get(BASE, headers=org.headers).json()] == ["apex"]
