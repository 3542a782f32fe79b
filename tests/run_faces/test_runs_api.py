"""Runs through the API end to end: push records, run (background and `?wait=true`), plan,
refusals, mirror deletions through `DELETE .../records`, and retrying events — against the
emulated org in-process."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from forcebridge.services import integrations
from tests.run_faces.conftest import (
    Org,
    cursor_source,
    invoice_mapping,
    make_integration,
    push_config,
)

API = "/api/v1"
RECORDS = f"{API}/integrations/invoices/records"


def _push(api: TestClient, org: Org, *numbers: str, **extra: Any) -> None:
    body = {"records": [{"number": n, "amount": "12.5", **extra} for n in numbers]}
    resp = api.post(RECORDS, json=body, headers=org.headers)
    assert resp.status_code == 200, resp.text


def _run(api: TestClient, org: Org, name: str = "invoices") -> dict[str, Any]:
    resp = api.post(f"{API}/integrations/{name}/runs", params={"wait": "true"},
                    headers=org.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _finished(api: TestClient, org: Org, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = api.get(f"{API}/runs/{run_id}", headers=org.headers).json()
        if run["status"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not end")


def _invoices(org: Org) -> dict[str, Any]:
    return {r["Invoice_Number__c"]: r for r in org.emu.org.iter_records("Invoice__c")}


def test_push_then_run_in_the_background_and_waiting(api_org: TestClient, org: Org) -> None:
    make_integration(org)
    _push(api_org, org, "INV-1", "INV-2", "INV-3")
    started = api_org.post(f"{API}/integrations/invoices/runs", headers=org.headers)
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert started.headers["location"] == f"/api/v1/runs/{run_id}"
    assert started.json()["trigger"] == "api"
    run = _finished(api_org, org, run_id)
    assert run["status"] == "succeeded" and run["counts"]["created"] == 3
    assert run["api_calls"] > 0 and run["events"] == 0
    assert sorted(_invoices(org)) == ["INV-1", "INV-2", "INV-3"]

    _push(api_org, org, "INV-2", amount="99")  # one changed
    again = _run(api_org, org)
    assert again["status"] == "succeeded"
    assert (again["counts"]["updated"], again["counts"]["unchanged"]) == (1, 2)
    assert _invoices(org)["INV-2"]["Amount__c"] == 99
    listed = api_org.get(f"{API}/integrations/invoices/runs", headers=org.headers).json()
    assert [r["id"] for r in listed["items"]] == [again["id"], run_id]


def test_mirror_deletes_what_the_product_removed(api_org: TestClient, org: Org) -> None:
    make_integration(org, config=push_config(mode="mirror"))
    _push(api_org, org, "INV-1", "INV-2", "INV-3")
    assert _run(api_org, org)["counts"]["created"] == 3
    gone = api_org.request("DELETE", RECORDS, json={"keys": ["INV-2"]}, headers=org.headers)
    assert gone.json()["removed"] == 1
    plan = api_org.post(f"{API}/integrations/invoices/plan", headers=org.headers)
    assert plan.status_code == 200
    found = plan.json()
    usage = org.emu.emulator.usage
    [deleted] = found.pop("records")
    assert found == {"problems": [], "would_create": 0, "would_update": 0,
                     "would_unchanged": 2, "would_delete": 1, "would_filtered": 0,
                     "would_invalid": 0, "would_send": 0,
                     "org_id": org.emu.org.config.org_id, "state_records": 3,
                     "reconcile_api_calls": 4, "records_more": False, "org_values_note": None,
                     "api_used": usage.used, "api_allocation": usage.allocation,
                     "api_budget": usage.allocation * 8 // 10}
    assert (deleted["key"], deleted["action"]) == ("INV-2", "delete")
    assert deleted["salesforce_id"] == _invoices(org)["INV-2"]["Id"]
    none = api_org.post(f"{API}/integrations/invoices/plan?records=0", headers=org.headers)
    assert none.json()["records"] == [] and none.json()["records_more"]
    too_many = api_org.post(f"{API}/integrations/invoices/plan?records=201", headers=org.headers)
    assert too_many.status_code == 422
    run = _run(api_org, org)
    assert run["counts"]["deleted"] == 1 and sorted(_invoices(org)) == ["INV-1", "INV-3"]


def test_refusals_are_409_and_plan_names_problems(api_org: TestClient, org: Org) -> None:
    make_integration(org)
    org.emu.faults("latency=400")
    _push(api_org, org, "INV-1")
    started = api_org.post(f"{API}/integrations/invoices/runs", headers=org.headers)
    assert started.status_code == 202
    for params in ({}, {"wait": "true"}):
        busy = api_org.post(f"{API}/integrations/invoices/runs", params=params,
                            headers=org.headers)
        assert busy.status_code == 409 and "already running" in busy.json()["error"]["message"]
    org.emu.faults("none")
    assert _finished(api_org, org, started.json()["id"])["status"] == "succeeded"

    with org.rt.db.begin() as s:
        integrations.disable(s, org.tenant_id, "invoices", reason="paused for the audit")
    disabled = api_org.post(f"{API}/integrations/invoices/runs", headers=org.headers)
    assert disabled.status_code == 409 and "paused for the audit" in disabled.text
    make_integration(org, "loose", connection=None)
    loose = api_org.post(f"{API}/integrations/loose/runs", headers=org.headers)
    assert loose.status_code == 409 and "not connected" in loose.text
    assert api_org.post(f"{API}/integrations/nope/runs", headers=org.headers).status_code == 404

    make_integration(org, "broken", push_config(mapping={
        **invoice_mapping(),
        "mappings": [{"field": "Invoice_Number__c", "column": "number"},
                     {"field": "Nope__c", "column": "amount"}],
    }))
    plan = api_org.post(f"{API}/integrations/broken/plan", headers=org.headers)
    assert plan.status_code == 200
    assert [p["field"] for p in plan.json()["problems"]] == ["Nope__c"]
    failed = _run(api_org, org, "broken")
    assert failed["status"] == "failed" and failed["events"] == 1
    [event] = api_org.get(f"{API}/events", params={"run": failed["id"]},
                          headers=org.headers).json()["items"]
    assert event["kind"] == "run_failed" and "Nope__c" in event["message"]


def test_rejected_records_become_events_that_retry_resends(api_org: TestClient,
                                                          org: Org) -> None:
    config = push_config()
    config["mapping"]["mappings"].append(
        {"field": "Account__c", "column": "account",
         "transform": {"type": "reference", "external_id_field": "External_Id__c"}})
    make_integration(org, config=config)
    _push(api_org, org, "INV-1", account="A-1")
    run = _run(api_org, org)
    assert run["status"] == "failed" and run["counts"]["failed"] == 1 and run["events"] == 1
    assert "no record was written" in run["error"]
    again = _run(api_org, org)  # the same record, the same reason: the same event, counted
    assert again["events"] == 1
    [event] = api_org.get(f"{API}/events", params={"integration": "invoices"},
                          headers=org.headers).json()["items"]
    assert event["record_key"] == "INV-1" and event["error_code"]
    assert (event["occurrences"], event["run_id"], event["last_run_id"]) == (
        2, run["id"], again["id"])
    assert event["last_seen_at"] > event["created_at"]
    by_run = api_org.get(f"{API}/events", params={"run": again["id"]}, headers=org.headers)
    assert [e["id"] for e in by_run.json()["items"]] == [event["id"]]
    assert event["payload"]["Invoice_Number__c"] == "INV-1"

    org.emu.org.insert("Account", {"Name": "Acme", "External_Id__c": "A-1"})
    retried = api_org.post(f"{API}/events/retry", json={"ids": [event["id"]]},
                           headers=org.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["trigger"] == "retry" and retried.json()["status"] == "succeeded"
    assert retried.json()["counts"]["created"] == 1
    shown = api_org.get(f"{API}/events/{event['id']}", headers=org.headers).json()
    assert shown["status"] == "retried"
    assert list(_invoices(org)) == ["INV-1"]
    missing = api_org.post(f"{API}/events/retry", json={"ids": ["nope"]}, headers=org.headers)
    assert missing.status_code == 404


def test_full_reads_every_row_of_a_source_with_a_cursor_column(
    api_org: TestClient, org: Org, tmp_path: Path,
) -> None:
    db = tmp_path / "billing.db"
    source = cursor_source(org, db, 5)
    make_integration(org, config={"source": source, "mapping": invoice_mapping()})
    assert _run(api_org, org)["counts"]["read"] == 5
    with sqlite3.connect(db) as conn:  # changed without the cursor moving
        conn.execute("UPDATE invoices SET amount = '2.00' WHERE number = 'INV-2'")
    assert _run(api_org, org)["counts"]["read"] == 1  # only the row at the cursor
    resp = api_org.post(f"{API}/integrations/invoices/runs", params={"wait": "true", "full": "true"},
                        headers=org.headers)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["counts"]["read"], resp.json()["counts"]["updated"]) == (5, 1)
    assert _invoices(org)["INV-2"]["Amount__c"] == 2.0


def test_a_run_asked_to_reconcile_repairs_the_org(api_org: TestClient, org: Org) -> None:
    make_integration(org)
    _push(api_org, org, "INV-1", "INV-2")
    assert _run(api_org, org)["reconciliation"] is None
    for record in list(org.emu.org.iter_records("Invoice__c")):
        org.emu.org.delete("Invoice__c", record["Id"])
    resp = api_org.post(f"{API}/integrations/invoices/runs",
                        params={"wait": "true", "reconcile": "true"}, headers=org.headers)
    assert resp.status_code == 200, resp.text
    run = resp.json()
    assert run["reconciliation"]["missing"] == 2 and run["counts"]["created"] == 2
    assert sorted(_invoices(org)) == ["INV-1", "INV-2"]
