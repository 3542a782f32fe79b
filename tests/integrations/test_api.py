"""`/api/v1/integrations`: CRUD, connect and disconnect, enable and disable, tenants, scopes."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forcebridge.services import api_clients, tenants
from forcebridge.services import run_lifecycle as lifecycle
from forcebridge.store.integrations import Integration
from forcebridge.store.models import AuditEntry
from forcebridge.store.runs import Run
from forcebridge.store.types import utcnow
from tests.conftest import bearer
from tests.emulated_org import connect
from tests.granted import grant_files
from tests.integrations.conftest import Org, invoice_config, invoice_sync

BASE = "/api/v1/integrations"


def create(api: TestClient, org: Org, body: dict[str, Any]) -> dict[str, Any]:
    resp = api.post(BASE, json=body, headers=org.headers)
    assert resp.status_code == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created


def error(resp: Any, status: int, code: str = "invalid_input") -> list[dict[str, str]]:
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["code"] == code, body
    details: list[dict[str, str]] = body["details"]
    return details


def test_create_get_list_update_delete(api_org: TestClient, org: Org) -> None:
    made = create(api_org, org, invoice_sync(org.files, notify=["OPS@acme.example"]))
    assert made["name"] == "invoices" and made["kind"] == "entity_sync"
    assert made["connection"] == "demo org" and made["connected"] is True
    assert made["enabled"] is True and made["failure_streak"] == 0 and not made["running"]
    assert made["notify"] == ["ops@acme.example"]
    minute, *rest = made["schedule"].split()
    assert rest == ["*", "*", "*", "*"] and 0 <= int(minute) <= 9  # hourly, near the hour
    assert made["config"]["mapping"]["target"]["object"] == "Invoice__c"
    assert made["config"]["mode"] == "upsert" and made["config"]["bulk_threshold"] == 10_000

    for ref in ("invoices", "INVOICES", made["id"]):
        got = api_org.get(f"{BASE}/{ref}", headers=org.headers)
        assert got.status_code == 200 and got.json()["id"] == made["id"]

    form = create(api_org, org, {"name": "web leads", "kind": "inbound_form",
                                 "config": {"object": "Lead"}})
    assert form["schedule"] is None and form["connected"] is False
    listed = api_org.get(BASE, headers=org.headers).json()
    assert [i["name"] for i in listed] == ["invoices", "web leads"]
    only = api_org.get(BASE, params={"kind": "inbound_form"}, headers=org.headers).json()
    assert [i["name"] for i in only] == ["web leads"]
    bad_kind = api_org.get(BASE, params={"kind": "nope"}, headers=org.headers)
    assert error(bad_kind, 422)[0]["field"] == "kind"

    changed = api_org.patch(
        f"{BASE}/invoices",
        json={"name": "Invoices", "schedule": "*/15  * * * *", "config": invoice_config(
            org.files, mode="insert", bulk_threshold=500)},
        headers=org.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == "Invoices" and body["schedule"] == "*/15 * * * *"
    assert body["config"]["mode"] == "insert" and body["config"]["bulk_threshold"] == 500
    off = api_org.patch(f"{BASE}/Invoices", json={"schedule": ""}, headers=org.headers).json()
    assert off["schedule"] is None

    assert api_org.delete(f"{BASE}/Invoices", headers=org.headers).status_code == 204
    error(api_org.get(f"{BASE}/Invoices", headers=org.headers), 404, "not_found")
    error(api_org.delete(f"{BASE}/Invoices", headers=org.headers), 404, "not_found")


def test_connect_update_credential_and_disconnect(api_org: TestClient, org: Org) -> None:
    loose = create(api_org, org, invoice_sync(org.files, connection=None))
    assert loose["connection"] is None and loose["connected"] is False

    connected = api_org.post(f"{BASE}/invoices/connection", json={"connection": "demo org"},
                             headers=org.headers)
    assert connected.status_code == 200, connected.text
    assert connected.json()["connected"] is True and connected.json()["connection"] == "demo org"

    with org.rt.db.begin() as s:  # a second connection to the same org: "update credential"
        other = connect(s, org.rt, org.tenant_id, org.emu, "backup org")
    swapped = api_org.post(f"{BASE}/invoices/connection", json={"connection": other},
                           headers=org.headers)
    assert swapped.json()["connection"] == "backup org"

    unknown = api_org.post(f"{BASE}/invoices/connection", json={"connection": "nope"},
                           headers=org.headers)
    assert error(unknown, 422) == [
        {"field": "connection", "reason": "no connection 'nope' in this tenant"}
    ]
    empty = api_org.post(f"{BASE}/invoices/connection", json={"connection": " "},
                         headers=org.headers)
    assert error(empty, 422)[0]["field"] == "connection"

    gone = api_org.delete(f"{BASE}/invoices/connection", headers=org.headers)
    assert gone.status_code == 200 and gone.json()["connected"] is False
    assert gone.json()["connection"] is None


def test_deleting_the_connection_leaves_the_integration_not_connected(
    api_org: TestClient, org: Org
) -> None:
    create(api_org, org, invoice_sync(org.files))
    url = "/api/v1/connections/demo org"
    assert api_org.delete(url, headers=org.headers).status_code == 409  # in use: force it
    assert api_org.delete(url, params={"force": "true"}, headers=org.headers).status_code == 204
    assert api_org.get(f"{BASE}/invoices", headers=org.headers).json()["connected"] is False


def test_enable_resets_the_failure_streak_and_disable_keeps_the_reason(
    api_org: TestClient, org: Org
) -> None:
    made = create(api_org, org, invoice_sync(org.files))
    disabled = api_org.post(f"{BASE}/invoices/disable", json={"reason": "org migration"},
                            headers=org.headers).json()
    assert disabled["enabled"] is False and disabled["disabled_reason"] == "org migration"
    bare = api_org.post(f"{BASE}/invoices/disable", headers=org.headers).json()
    assert bare["disabled_reason"] == "disabled by a user"

    with org.rt.db.begin() as s:  # as the runs engine leaves it after 10 failed runs
        row = s.get(Integration, made["id"])
        assert row is not None
        row.failure_streak, row.disabled_reason = 10, "10 failed runs in a row"
    again = api_org.patch(f"{BASE}/invoices", json={"enabled": False}, headers=org.headers)
    assert again.json()["disabled_reason"] == "10 failed runs in a row"  # not a change

    enabled = api_org.post(f"{BASE}/invoices/enable", headers=org.headers).json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None
    assert enabled["failure_streak"] == 0

    too_long = api_org.post(f"{BASE}/invoices/disable", json={"reason": "x" * 1001},
                            headers=org.headers)
    assert error(too_long, 422)[0]["field"] == "reason"


def test_errors_name_the_field_and_the_reason(api_org: TestClient, org: Org) -> None:
    def refused(body: dict[str, Any], status: int = 422) -> list[dict[str, str]]:
        return error(api_org.post(BASE, json=body, headers=org.headers), status,
                     "conflict" if status == 409 else "invalid_input")

    good = invoice_sync(org.files)
    assert refused({k: v for k, v in good.items() if k != "name"}) == [
        {"field": "name", "reason": "is required"}]
    assert refused({k: v for k, v in good.items() if k != "config"}) == [
        {"field": "config", "reason": "is required"}]
    assert refused({**good, "name": "  "})[0] == {"field": "name", "reason": "must not be empty"}
    assert refused({**good, "kind": "magic"})[0]["field"] == "kind"
    assert refused({**good, "colour": "red"}) == [{"field": "colour", "reason": "unknown field"}]
    assert refused({**good, "connection": "nope"}) == [
        {"field": "connection", "reason": "no connection 'nope' in this tenant"}]
    assert refused({**good, "schedule": "every hour"})[0]["field"] == "schedule"
    assert refused({**good, "notify": ["ops@acme.example", "who@else.example"]}) == [
        {"field": "notify.1", "reason": "no user 'who@else.example' in this tenant"}]
    form = {"name": "form", "kind": "inbound_form", "config": {"object": "Lead"}}
    assert refused({**form, "schedule": "5 * * * *"})[0]["field"] == "schedule"

    broken = invoice_config(org.files, mode="sideways", bulk_threshold=0)
    del broken["mapping"]["target"]
    fields = {d["field"] for d in refused({**good, "config": broken})}
    assert fields == {"config.mode", "config.bulk_threshold", "config.mapping.target"}
    sql = invoice_config(org.files, source={"kind": "sql", "name": "db", "key_column": "id"})
    assert refused({**good, "config": sql})[0]["field"] == "config.source.sql"

    create(api_org, org, good)
    assert refused({**good, "name": "INVOICES"}, 409) == [
        {"field": "name", "reason": "already exists"}]
    kind = api_org.patch(f"{BASE}/invoices", json={"kind": "inbound_form"}, headers=org.headers)
    assert error(kind, 422)[0] == {
        "field": "kind", "reason": "cannot change; create a new integration instead"}
    null_config = api_org.patch(f"{BASE}/invoices", json={"config": None}, headers=org.headers)
    assert error(null_config, 422) == [{"field": "config", "reason": "is required"}]
    assert api_org.get(BASE, headers=org.headers).json()[0]["name"] == "invoices"


def test_refused_saves_write_nothing(api_org: TestClient, org: Org) -> None:
    made = create(api_org, org, invoice_sync(org.files))
    bad = api_org.patch(f"{BASE}/invoices", json={"name": "renamed", "schedule": "bad"},
                        headers=org.headers)
    error(bad, 422)
    assert api_org.get(f"{BASE}/invoices", headers=org.headers).json() == made
    with org.rt.db.begin() as s:
        actions = [e.action for e in s.query(AuditEntry).filter(AuditEntry.target_id == made["id"])]
    assert actions == ["integration.create"]
    same = api_org.patch(f"{BASE}/invoices", json={"schedule": made["schedule"]},
                         headers=org.headers)
    assert same.status_code == 200
    with org.rt.db.begin() as s:  # a save that changes nothing is not written
        count = s.query(AuditEntry).filter(AuditEntry.target_id == made["id"]).count()
    assert count == 1


def test_tenants_see_only_their_own_integrations(
    api_org: TestClient, org: Org, new_tenant_key: Any
) -> None:
    made = create(api_org, org, invoice_sync(org.files))
    other = bearer(new_tenant_key("globex"))
    assert api_org.get(BASE, headers=other).json() == []
    for ref in ("invoices", made["id"]):
        error(api_org.get(f"{BASE}/{ref}", headers=other), 404, "not_found")
        error(api_org.patch(f"{BASE}/{ref}", json={"schedule": ""}, headers=other), 404,
              "not_found")
        error(api_org.post(f"{BASE}/{ref}/disable", headers=other), 404, "not_found")
        error(api_org.delete(f"{BASE}/{ref}", headers=other), 404, "not_found")
    # another tenant's connection cannot be attached, and the name is free in another tenant
    theirs = {**invoice_sync(org.files), "connection": "demo org"}
    assert error(api_org.post(BASE, json=theirs, headers=other), 422)[0]["field"] == "connection"
    # nor a data source granted to another tenant; granted to it too, the name is free
    refused = api_org.post(BASE, json={**theirs, "connection": None}, headers=other)
    detail = error(refused, 422, "source_refused")[0]
    assert detail["field"] == "config.source.name"
    assert detail["reason"].startswith("'files' is not a data source granted to this tenant")
    with org.rt.db.begin() as s:
        globex = tenants.find(s, "globex").id
    grant_files(org.rt, globex, org.files)
    mine = api_org.post(BASE, json={**theirs, "connection": None}, headers=other)
    assert mine.status_code == 201 and mine.json()["id"] != made["id"]
    assert api_org.get(f"{BASE}/invoices", headers=org.headers).json()["connected"] is True
    assert api_org.get(BASE).status_code == 401


@pytest.mark.parametrize(
    ("scopes", "reads", "writes"),
    [(["integrations:read"], 200, 403), (["integrations:write"], 403, 200),
     (["records:write"], 403, 403)],
)
def test_api_client_tokens_within_their_scopes(
    api_org: TestClient, org: Org, scopes: list[str], reads: int, writes: int
) -> None:
    create(api_org, org, invoice_sync(org.files))
    with org.rt.db.begin() as s:
        issued = api_clients.create(s, org.tenant_id, "Salesforce", scopes)
        client_id, secret = issued.client.client_id, issued.secret
    token = api_org.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
    }).json()["access_token"]
    h = bearer(token)
    assert api_org.get(BASE, headers=h).status_code == reads
    assert api_org.get(f"{BASE}/invoices", headers=h).status_code == reads
    assert api_org.post(f"{BASE}/invoices/disable", headers=h).status_code == writes
    assert api_org.post(f"{BASE}/invoices/enable", headers=h).status_code == writes
    # defining integrations stays with API keys, whatever the token's scopes
    assert api_org.post(BASE, json=invoice_sync(org.files, name="x"), headers=h).status_code == 403
    assert api_org.patch(f"{BASE}/invoices", json={"schedule": ""}, headers=h).status_code == 403
    assert api_org.delete(f"{BASE}/invoices/connection", headers=h).status_code == 403
    assert api_org.delete(f"{BASE}/invoices", headers=h).status_code == 403


def test_a_running_integration_is_not_deleted(api_org: TestClient, org: Org) -> None:
    made = create(api_org, org, invoice_sync(org.files))
    with org.rt.db.begin() as s:
        row = s.get(Integration, made["id"])
        assert row is not None
        run = Run(tenant_id=row.tenant_id, integration_id=row.id, trigger="manual",
                  host=lifecycle.HOST, pid=os.getpid(),
                  alive_until=utcnow() + timedelta(minutes=1))  # a live run of this process
        s.add(run)
        s.flush()
        row.running_run_id = run.id
    assert api_org.get(f"{BASE}/invoices", headers=org.headers).json()["running"] is True
    details = error(api_org.delete(f"{BASE}/invoices", headers=org.headers), 409, "conflict")
    assert details == [{"field": "integration", "reason": "a run is in progress"}]


def test_an_inbound_form_gets_its_hook_when_created(api_org: TestClient, org: Org) -> None:
    made = create(api_org, org, {"name": "leads", "kind": "inbound_form",
                                 "config": {"object": "Lead"}})
    with org.rt.db.begin() as s:
        row = s.get(Integration, made["id"])
        assert row is not None and row.hook_id and row.hook_secret
    assert "hook" not in str(made)  # the hook URL and secret are shown by `forms`, not here
