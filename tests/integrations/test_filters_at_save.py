"""A filter that cannot be applied is refused at save: account ids without an account column,
and key, account or cursor columns the source does not have (API; the CLI and `apply` in
test_cli)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forcebridge.integrations import saves as integration_saves
from forcebridge.runs import run_integration
from forcebridge.services.integrations import IntegrationInput
from forcebridge.store.runs import Run
from tests.granted import grant_sql
from tests.integrations.conftest import Org, invoice_config

BASE = "/api/v1/integrations"


def body(config: dict[str, Any], connection: str | None) -> dict[str, Any]:
    return {"name": "x", "kind": "entity_sync", "connection": connection, "config": config}


def fields(resp: Any) -> list[str]:
    assert resp.status_code == 422, resp.text
    return [d["field"] for d in resp.json()["error"]["details"]]


@pytest.mark.parametrize("connection", [None, "demo org"])
def test_account_ids_without_an_account_column_are_refused(
    api_org: TestClient, org: Org, connection: str | None,
) -> None:
    for source in ({"kind": "csv", "name": "files", "path": "invoices.csv",
                    "key_column": "number"},
                   {"kind": "push", "key_column": "number"}):
        for filters in ({"restricted_account_ids": ["A-9"]}, {"allowed_account_ids": ["A-1"]}):
            config = invoice_config(org.files, source=source, filters=filters)
            resp = api_org.post(BASE, json=body(config, connection), headers=org.headers)
            assert fields(resp) == ["config.filters", "config.source.account_column"]
            assert "need source.account_column" in resp.json()["error"]["message"]


@pytest.mark.parametrize("connection", [None, "demo org"])
def test_key_account_and_cursor_columns_are_checked_against_the_real_columns(
    api_org: TestClient, org: Org, connection: str | None, tmp_path: Path,
) -> None:
    db = tmp_path / "billing.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (number TEXT, account TEXT, amount TEXT, "
                     "status TEXT, issued TEXT, updated_at TEXT)")
    grant_sql(org.rt, org.tenant_id, f"sqlite:///{db}", name="billing")
    csv = {"kind": "csv", "name": "files", "path": "invoices.csv", "key_column": "number",
           "account_column": "account"}
    sql = {"kind": "sql", "name": "billing", "table": "invoices", "key_column": "number",
           "account_column": "account", "cursor_column": "updated_at"}
    for source, field in [({**csv, "account_column": "acount"}, "source.account_column"),
                          ({**csv, "key_column": "id"}, "source.key_column"),
                          ({**sql, "account_column": "acct"}, "source.account_column"),
                          ({**sql, "key_column": "id"}, "source.key_column"),
                          ({**sql, "cursor_column": "updated"}, "source.cursor_column")]:
        config = invoice_config(org.files, source=source)
        resp = api_org.post(BASE, json=body(config, connection), headers=org.headers)
        assert fields(resp) == [field], source
    fine = api_org.post(BASE, json=body(invoice_config(org.files, source=sql), connection),
                        headers=org.headers)
    assert fine.status_code == 201, fine.text
    renamed = api_org.patch(f"{BASE}/x", json={"config": invoice_config(
        org.files, source={**sql, "cursor_column": "updated"})}, headers=org.headers)
    assert fields(renamed) == ["source.cursor_column"]


def test_pushed_records_must_carry_the_account_column_when_filtered(
    api_org: TestClient, org: Org,
) -> None:
    source = {"kind": "push", "key_column": "number", "account_column": "account"}
    config = invoice_config(org.files, source=source,
                            filters={"restricted_account_ids": ["A-9"]})
    assert api_org.post(BASE, json=body(config, "demo org"),
                        headers=org.headers).status_code == 201
    refused = api_org.post(f"{BASE}/x/records", json={"records": [
        {"number": "1", "account": "A-1"}, {"number": "2", "acount": "A-9"}]},
        headers=org.headers)
    assert fields(refused) == ["records.1.account"]
    kept = api_org.post(f"{BASE}/x/records", json={"records": [
        {"number": "1", "account": "A-1"}, {"number": "2", "account": None}]},
        headers=org.headers)
    assert kept.status_code in (200, 202), kept.text


@pytest.mark.anyio
async def test_a_jsonl_record_without_its_account_field_stops_a_filtered_run(org: Org) -> None:
    (org.files / "invoices.jsonl").write_text(
        '{"number": "INV-1", "account": "A-1", "amount": "1.00"}\n'
        '{"number": "SECRET-1", "acount": "A-9", "amount": "1.00"}\n')
    source = {"kind": "jsonl", "name": "files", "path": "invoices.jsonl",
              "key_column": "number", "account_column": "account"}
    config = invoice_config(org.files, source=source, filters={"restricted_account_ids": ["A-9"]})
    config["mapping"]["mappings"] = config["mapping"]["mappings"][:2]
    made = await integration_saves.save(org.rt, org.tenant_id, IntegrationInput(**body(
        config, "demo org")))
    run_id = await run_integration(org.rt, org.tenant_id, made.id)
    with org.rt.db.session() as s:
        run = s.get(Run, run_id)
        assert run is not None and run.status == "failed"
        assert "line 2 has no account-id field 'account'" in (run.error or "")
    assert not [r for r in org.emu.org.iter_records("Invoice__c")
                if r["Invoice_Number__c"] == "SECRET-1"]
