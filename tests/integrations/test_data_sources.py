"""Data sources are the operator's to grant: what a tenant's key can and cannot make an
integration read, through the API, on SQLite and PostgreSQL stores."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from forcebridge.services import tenants
from forcebridge.store.integrations import Integration
from tests.conftest import bearer
from tests.integrations.conftest import Org

API = "/api/v1"
MAPPING = {
    "target": {"object": "Invoice__c", "external_id_field": "Invoice_Number__c"},
    "mappings": [{"field": "Invoice_Number__c", "column": "number"},
                 {"field": "Amount__c", "column": "amount",
                  "transform": {"type": "number", "scale": 2}}],
}


def sync(source: dict[str, Any], name: str = "billing sync", **config: Any) -> dict[str, Any]:
    return {"name": name, "kind": "entity_sync", "connection": "demo org",
            "config": {"source": source, "mapping": MAPPING, **config}}


def refusal(resp: Any, field: str, status: int = 422) -> str:
    """The reason the response gives for `field` (it must be the only field refused)."""
    assert resp.status_code == status, resp.text
    details = resp.json()["error"]["details"]
    assert [d["field"] for d in details] == [field], details
    reason: str = details[0]["reason"]
    return reason


@pytest.fixture
def billing_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> str:
    """A billing database beside the store, of the store's kind, holding `invoices`."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'billing.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE invoices (number VARCHAR(20) PRIMARY KEY, "
                             "account VARCHAR(20), amount VARCHAR(20))"))
        conn.execute(sa.text("INSERT INTO invoices VALUES (:n, :a, :m)"), [
            {"n": f"INV-{i}", "a": f"A-{i % 2}", "m": f"{i}.50"} for i in range(1, 6)])
    engine.dispose()
    return url


@pytest.fixture
def admin(admin_key: str) -> dict[str, str]:
    return bearer(admin_key)


def register(api: TestClient, admin: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    resp = api.post(f"{API}/sources", json=body, headers=admin)
    assert resp.status_code == 201, resp.text
    made: dict[str, Any] = resp.json()
    return made


def test_only_an_admin_key_registers_and_grants_and_tenants_never_see_where(
    api_org: TestClient, org: Org, admin: dict[str, str], billing_url: str,
    new_tenant_key: Callable[[str], str],
) -> None:
    secret = make_url(billing_url).set(password="s3cr3t-pw").render_as_string(
        hide_password=False)
    body = {"name": "billing", "kind": "sql", "url": secret, "tenants": ["acme"]}
    refused = api_org.post(f"{API}/sources", json=body, headers=org.headers)
    assert refused.status_code == 403 and "admin" in refused.json()["error"]["message"]
    made = register(api_org, admin, body)
    assert made["tenants"] == ["acme"] and made["kind"] == "sql"
    assert "s3cr3t-pw" not in str(made) and ("***" in made["url"] or "sqlite" in made["url"])
    for method, path in (("PATCH", "/sources/billing"), ("DELETE", "/sources/billing"),
                         ("POST", "/sources/billing/grants"),
                         ("DELETE", "/sources/billing/grants/acme")):
        resp = api_org.request(method, API + path, json={"tenant": "acme"} if method == "POST"
                               else None, headers=org.headers)
        assert resp.status_code == 403, (method, path, resp.text)
    mine = api_org.get(f"{API}/sources", headers=org.headers)
    assert mine.json() == [{"name": "billing", "kind": "sql", "tables": []},
                           {"name": "files", "kind": "files", "tables": []}]
    assert "s3cr3t-pw" not in mine.text and billing_url.split("/")[-1] not in mine.text
    other = bearer(new_tenant_key("globex"))
    assert api_org.get(f"{API}/sources", headers=other).json() == []
    assert api_org.get(f"{API}/sources/billing", headers=other).status_code == 404
    assert api_org.get(f"{API}/sources/billing", headers=org.headers).json()["name"] == "billing"
    everything = api_org.get(f"{API}/sources", headers=admin).json()
    assert {s["name"] for s in everything} == {"billing", "files"}


def test_the_store_is_never_a_source_whatever_the_spelling(
    api_org: TestClient, org: Org, admin: dict[str, str],
) -> None:
    store = make_url(org.rt.settings.resolved_database_url)
    if store.get_backend_name() == "sqlite":
        path = Path(str(store.database))
        os.symlink(path, path.parent / "alias.db")
        spellings = [f"sqlite:///{path.parent}/../{path.parent.name}/{path.name}",
                     f"sqlite+pysqlite:///{path.parent / 'alias.db'}"]
    else:
        spellings = [store.set(host="localhost", username="someone", password=None)
                     .render_as_string(hide_password=False),
                     f"postgresql://{store.username}@/{store.database}?host=127.0.0.1"
                     f"&port={store.port}"]
    for url in spellings:
        resp = api_org.post(f"{API}/sources", json={"name": "store", "kind": "sql", "url": url},
                            headers=admin)
        assert "forcebridge's own database" in refusal(resp, "url"), url
    # a file root holding the server's own files never hands them out
    data_dir = org.rt.settings.data_dir
    register(api_org, admin, {"name": "data", "kind": "files", "root": str(data_dir),
                              "tenants": ["acme"]})
    own = ["secret.key"] + ([Path(str(store.database)).name]
                            if store.get_backend_name() == "sqlite" else [])
    for file in own:
        if not (data_dir / file).exists():
            continue
        resp = api_org.post(f"{API}/integrations", json=sync(
            {"kind": "csv", "name": "data", "path": file, "key_column": "number"}),
            headers=org.headers)
        assert "forcebridge's own files" in refusal(resp, "config.source.path"), file


def test_a_tenant_key_cannot_reach_past_its_grants(
    api_org: TestClient, org: Org, admin: dict[str, str], billing_url: str, tmp_path: Path,
) -> None:
    (tmp_path / "outside.csv").write_text("number,amount\nX,1\n")
    os.symlink(tmp_path / "outside.csv", org.files / "link.csv")
    os.symlink(tmp_path, org.files / "up")
    register(api_org, admin, {"name": "billing", "kind": "sql", "url": billing_url,
                              "tenants": ["acme"]})
    register(api_org, admin, {"name": "reports", "kind": "sql", "url": billing_url,
                              "tables": ["invoices"], "tenants": ["acme"]})
    with org.rt.db.begin() as s:
        tenants.create(s, "globex")
    register(api_org, admin, {"name": "globex db", "kind": "sql", "url": billing_url,
                              "tenants": ["globex"]})
    csv = {"kind": "csv", "name": "files", "key_column": "number"}
    table = {"kind": "sql", "table": "invoices", "key_column": "number"}
    cases = [
        ({"kind": "sql", "url": billing_url, "table": "invoices", "key_column": "number"},
         "config.source.url", "granted to this tenant: billing, reports"),
        ({"kind": "sql", "url": org.rt.settings.resolved_database_url, "key_column": "id",
          "query": "select id as number from integrations"}, "config.source.url", "cannot give"),
        ({**csv, "path": str(tmp_path / "outside.csv")}, "config.source.path", "is absolute"),
        ({**csv, "path": "../outside.csv"}, "config.source.path", "outside"),
        ({**csv, "path": "link.csv"}, "config.source.path", "outside"),
        ({**csv, "path": "up/outside.csv"}, "config.source.path", "outside"),
        ({**table, "name": "globex db"}, "config.source.name",
         "'globex db' is not a data source granted to this tenant"),
        ({**table, "name": "nowhere"}, "config.source.name", "not a data source granted"),
        ({**csv, "name": "billing", "path": "x.csv"}, "config.source.name",
         "'billing' is a sql data source; file roots granted to this tenant: files"),
        ({**table, "name": "reports", "table": "secrets"}, "config.source.table",
         "allowed: invoices"),
        ({"kind": "sql", "name": "reports", "query": "select * from invoices",
          "key_column": "number"}, "config.source.query", "limited to some tables"),
    ]
    ok = api_org.post(f"{API}/integrations", json=sync({**table, "name": "billing"}),
                      headers=org.headers)
    assert ok.status_code == 201, ok.text
    for source, field, reason in cases:
        created = api_org.post(f"{API}/integrations", json=sync(source, name="new"),
                               headers=org.headers)
        assert reason in refusal(created, field), source
        assert created.json()["error"]["code"] == "source_refused"
        changed = api_org.patch(f"{API}/integrations/billing sync",
                                json={"config": sync(source)["config"]}, headers=org.headers)
        assert reason in refusal(changed, field), source
    with org.rt.db.begin() as s:
        [row] = s.query(Integration).filter_by(tenant_id=org.tenant_id).all()
        assert row.config["source"] == {**table, "name": "billing", "account_column": None,
                                        "query": None, "cursor_column": None}


def test_a_granted_sql_source_runs_end_to_end_and_cannot_be_written(
    api_org: TestClient, org: Org, admin: dict[str, str], billing_url: str,
) -> None:
    register(api_org, admin, {"name": "billing", "kind": "sql", "url": billing_url,
                              "timeout_seconds": 30, "tenants": ["acme"]})
    source = {"kind": "sql", "name": "billing", "table": "invoices", "key_column": "number"}
    assert api_org.post(f"{API}/integrations", json=sync(source),
                        headers=org.headers).status_code == 201
    run = api_org.post(f"{API}/integrations/billing sync/runs", params={"wait": "true"},
                       headers=org.headers).json()
    assert (run["status"], run["counts"]["created"]) == ("succeeded", 5), run
    amounts = {r["Invoice_Number__c"]: r["Amount__c"]
               for r in org.emu.org.iter_records("Invoice__c")}
    assert amounts == {f"INV-{i}": i + 0.5 for i in range(1, 6)}

    writes = {"kind": "sql", "name": "billing", "key_column": "number",
              "query": "DELETE FROM invoices WHERE number = 'INV-1' RETURNING number, amount"}
    saved = api_org.patch(f"{API}/integrations/billing sync", json={"config": sync(writes)[
        "config"]}, headers=org.headers)
    assert saved.status_code == 200, saved.text  # unreadable at save is no refusal...
    failed = api_org.post(f"{API}/integrations/billing sync/runs", params={"wait": "true"},
                          headers=org.headers).json()
    assert failed["status"] == "failed" and "billing" in failed["error"], failed
    engine = sa.create_engine(billing_url)
    with engine.connect() as conn:  # ...and the write never happened
        assert conn.execute(sa.text("SELECT count(*) FROM invoices")).scalar() == 5
    engine.dispose()


def test_revoking_a_source_in_use_is_refused_unless_forced_then_runs_name_it(
    api_org: TestClient, org: Org, admin: dict[str, str], billing_url: str,
) -> None:
    register(api_org, admin, {"name": "billing", "kind": "sql", "url": billing_url,
                              "tenants": ["acme"]})
    source = {"kind": "sql", "name": "billing", "table": "invoices", "key_column": "number"}
    api_org.post(f"{API}/integrations", json=sync(source), headers=org.headers)
    refused = api_org.delete(f"{API}/sources/billing/grants/acme", headers=admin)
    assert refused.status_code == 409 and "'billing sync'" in refused.text
    assert api_org.delete(f"{API}/sources/billing", headers=admin).status_code == 409
    forced = api_org.delete(f"{API}/sources/billing/grants/acme", params={"force": "true"},
                            headers=admin)
    assert forced.status_code == 200 and forced.json()["tenants"] == []
    run = api_org.post(f"{API}/integrations/billing sync/runs", params={"wait": "true"},
                       headers=org.headers).json()
    assert run["status"] == "failed"
    assert "'billing' is not a data source granted to this tenant" in run["error"]


def test_a_granted_file_root_reads_a_file_inside_it(
    api_org: TestClient, org: Org,
) -> None:
    (org.files / "nested").mkdir()
    (org.files / "nested" / "invoices.csv").write_text("number,amount\nF-1,3.25\nF-2,4.75\n")
    source = {"kind": "csv", "name": "files", "path": "nested/../nested/invoices.csv",
              "key_column": "number"}
    assert api_org.post(f"{API}/integrations", json=sync(source),
                        headers=org.headers).status_code == 201
    run = api_org.post(f"{API}/integrations/billing sync/runs", params={"wait": "true"},
                       headers=org.headers).json()
    assert (run["status"], run["counts"]["created"]) == ("succeeded", 2), run
