"""The records and objects endpoints: each operation, its status codes and its error bodies."""

from __future__ import annotations

from fastapi.testclient import TestClient

from forcebridge.services import connections
from forcebridge.services.connections import ConnectionInput
from tests.records.conftest import Org

BASE = "/api/v1/connections/demo%20org"


def test_the_records_routes_are_in_the_api(api_org: TestClient) -> None:
    app = api_org.app
    assert (
        app.url_path_for("create_record", ref="r", sobject="o") == "/api/v1/connections/r/records/o"
    )
    paths = app.openapi()["paths"]
    assert "/api/v1/connections/{ref}/records/{sobject}/by/{field}/{value}" in paths
    operations = [op["operationId"] for path in paths.values() for op in path.values()]
    assert operations.count("create_record_api_v1_connections__ref__records__sobject__post") == 1


def test_create_get_update_delete(api_org: TestClient, org: Org) -> None:
    h = org.headers
    created = api_org.post(f"{BASE}/records/Account", json={"Name": "Acme"}, headers=h)
    assert created.status_code == 201, created.text
    account_id = created.json()["id"]
    assert created.json() == {"id": account_id, "created": True}

    got = api_org.get(f"{BASE}/records/Account/{account_id}?fields=Name,Phone", headers=h)
    assert got.status_code == 200
    assert {k for k in got.json() if k != "attributes"} == {"Id", "Name", "Phone"}

    patched = api_org.patch(f"{BASE}/records/Account/{account_id}", json={"Phone": "5"}, headers=h)
    assert patched.status_code == 200
    assert patched.json()["Id"] == account_id and patched.json()["Phone"] == "5"
    assert patched.json()["Name"] == "Acme"  # the record as it now is, not only what changed
    assert org.emu.org.get("Account", account_id)["Phone"] == "5"

    assert api_org.delete(f"{BASE}/records/Account/{account_id}", headers=h).status_code == 204
    gone = api_org.get(f"{BASE}/records/Account/{account_id}", headers=h)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] in ("NOT_FOUND", "ENTITY_IS_DELETED")


def test_get_by_case_number(api_org: TestClient, org: Org) -> None:
    h = org.headers
    case_id = api_org.post(f"{BASE}/records/Case", json={"Subject": "s"}, headers=h).json()["id"]
    number = org.emu.org.get("Case", case_id)["CaseNumber"]
    resp = api_org.get(f"{BASE}/records/Case/by/CaseNumber/{number}?fields=Subject", headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["total_size"] == 1 and body["records"][0]["Id"] == case_id
    assert body["records"][0]["Subject"] == "s" and "Status" not in body["records"][0]

    resp = api_org.get(f"{BASE}/records/Case/by/Subject/s", headers=h)
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "invalid_input" and "Id, CaseNumber" in error["message"]
    assert error["details"][0]["field"] == "Subject"


def test_upsert_and_update_by_external_id_with_awkward_values(
    api_org: TestClient, org: Org
) -> None:
    h = org.headers
    value = "A/1 x' OR Name != '"
    path = f"{BASE}/records/Account/by/External_Id__c/A%2F1%20x%27%20OR%20Name%20%21%3D%20%27"
    first = api_org.put(path, json={"Name": "Acme"}, headers=h)
    assert first.status_code == 201, first.text
    again = api_org.put(path, json={"Name": "Acme 2"}, headers=h)
    assert again.status_code == 200 and again.json() == {"id": first.json()["id"], "created": False}
    stored = org.emu.org.get("Account", first.json()["id"])
    assert stored["External_Id__c"] == value and stored["Name"] == "Acme 2"

    patched = api_org.patch(path, json={"Phone": "7"}, headers=h)
    assert patched.status_code == 200 and patched.json()["Id"] == first.json()["id"]
    assert patched.json()["Phone"] == "7"
    found = api_org.get(path, headers=h).json()["records"]
    assert [r["Phone"] for r in found] == ["7"]

    missing = api_org.patch(
        f"{BASE}/records/Account/by/External_Id__c/nope", json={"Phone": "1"}, headers=h
    )
    assert missing.status_code == 404 and org.emu.org.count("Account") == 1


def test_salesforce_errors_keep_code_and_fields(api_org: TestClient, org: Org) -> None:
    resp = api_org.post(f"{BASE}/records/Account", json={"Industry": "Energy"}, headers=org.headers)
    assert resp.status_code == 422
    assert resp.json() == {
        "error": {
            "code": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [Name]",
            "details": [
                {
                    "field": "Name",
                    "reason": "Required fields are missing: [Name]",
                    "code": "REQUIRED_FIELD_MISSING",
                }
            ],
        }
    }


def test_unknown_object_and_bad_for(api_org: TestClient, org: Org) -> None:
    resp = api_org.get(f"{BASE}/objects/Nope__c/fields?for=create", headers=org.headers)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found" and "Nope__c" in resp.text
    resp = api_org.get(f"{BASE}/objects/Account/fields?for=delete", headers=org.headers)
    assert resp.status_code == 422 and resp.json()["error"]["details"][0]["field"] == "for"


def test_objects_and_fields_suggestions(api_org: TestClient, org: Org) -> None:
    h = org.headers
    found = api_org.get(f"{BASE}/objects?search=case", headers=h).json()
    assert [o["name"] for o in found] == ["Case"]
    lookup = api_org.get(f"{BASE}/objects/Account/fields?for=lookup", headers=h).json()
    assert [f["name"] for f in lookup] == ["Id", "External_Id__c", "acme__Account_Id__c"]
    create = api_org.get(f"{BASE}/objects/Contact/fields?for=create", headers=h).json()
    assert [f["name"] for f in create if f["required"]] == ["LastName"]


def test_auth_failure_is_502_without_secrets(api_org: TestClient, org: Org) -> None:
    with org.rt.db.begin() as s:
        connections.update(
            s, org.rt.vault, org.tenant_id, org.conn, ConnectionInput(password="hunter2-wrong")
        )
    resp = api_org.get(f"{BASE}/objects", headers=org.headers)
    assert resp.status_code == 502
    assert resp.json()["error"]["code"] == "invalid_grant"
    assert "hunter2" not in resp.text and "Traceback" not in resp.text


def test_needs_an_api_key_and_the_tenants_own_connection(
    api_org: TestClient, org: Org, new_tenant_key: object
) -> None:
    assert api_org.get(f"{BASE}/objects").status_code == 401
    other = new_tenant_key("other")  # type: ignore[operator]
    resp = api_org.get(f"{BASE}/objects", headers={"Authorization": f"Bearer {other}"})
    assert resp.status_code == 404 and "demo org" in resp.json()["error"]["message"]


def test_body_must_be_an_object(api_org: TestClient, org: Org) -> None:
    resp = api_org.post(f"{BASE}/records/Account", json=["Name"], headers=org.headers)
    assert resp.status_code == 422
    resp = api_org.post(f"{BASE}/records/Account", json={}, headers=org.headers)
    assert resp.status_code == 422 and "at least one field value" in resp.text
