"""The API faces: pushed records, events, run history; tenants, scopes, errors naming fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from forcebridge.services import events, pushed
from forcebridge.store.integrations import Integration
from forcebridge.store.types import utcnow
from tests.run_faces.conftest import Org, add_run, invoice_mapping, make_integration

API = "/api/v1"


def _event(org: Org, iid: str, run_id: str | None = None, key: str = "INV-1") -> str:
    with org.rt.db.begin() as s:
        integration = s.get(Integration, iid)
        assert integration is not None
        return events.record(
            s, integration=integration, run_id=run_id, kind="record_rejected",
            message="Amount: value not of required type", record_key=key,
            error_code="INVALID_TYPE_ON_FIELD_IN_RECORD", fields=["Amount__c"],
            payload={"Invoice_Number__c": key, "Amount__c": "abc", "Secret_Token__c": "s3"},
        ).id


def test_push_and_remove_records(api_org: TestClient, org: Org) -> None:
    make_integration(org)
    url = f"{API}/integrations/invoices/records"
    resp = api_org.post(url, json={"records": [{"number": "INV-1", "amount": 1},
                                               {"number": "INV-2", "amount": 2}]},
                        headers=org.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"integration": "invoices", "accepted": 2}

    bad = api_org.post(url, json={"records": [{"number": "INV-3"}, {"amount": 3}]},
                       headers=org.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"] == [{"field": "records.1.number",
                                               "reason": "is required: a non-empty text or number"}]
    assert api_org.post(url, json={"rows": []}, headers=org.headers).status_code == 422

    gone = api_org.request("DELETE", url, json={"keys": ["INV-1", "INV-9"]}, headers=org.headers)
    assert gone.status_code == 200 and gone.json() == {"integration": "invoices", "removed": 1}
    with org.rt.db.begin() as s:
        iid = s.query(Integration).one().id
        assert pushed.count(s, iid) == 1


def test_push_refused_for_a_non_push_source_and_other_tenants(
    api_org: TestClient, org: Org, other_tenant: tuple[str, dict[str, str]]
) -> None:
    make_integration(org, "from csv", {
        "source": {"kind": "csv", "name": "files", "path": "x.csv", "key_column": "number"},
        "mapping": invoice_mapping(),
    })
    resp = api_org.post(f"{API}/integrations/from csv/records",
                        json={"records": [{"number": "1"}]}, headers=org.headers)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["field"] == "config.source.kind"
    make_integration(org)
    theirs = other_tenant[1]
    for method in ("POST", "DELETE"):
        body = {"records": [{"number": "1"}]} if method == "POST" else {"keys": ["1"]}
        resp = api_org.request(method, f"{API}/integrations/invoices/records", json=body,
                               headers=theirs)
        assert resp.status_code == 404, resp.text


def test_events_list_show_resolve(api_org: TestClient, org: Org) -> None:
    iid = make_integration(org)
    run_id = add_run(org, iid, failed=3)
    ids = [_event(org, iid, run_id, f"INV-{i}") for i in range(3)]
    listed = api_org.get(f"{API}/events", params={"integration": "invoices"}, headers=org.headers)
    assert listed.status_code == 200
    body = listed.json()
    assert [e["id"] for e in body["items"]] == list(reversed(ids)) and body["next_cursor"] is None
    assert body["items"][0]["integration"] == "invoices"

    page = api_org.get(f"{API}/events", params={"limit": 2}, headers=org.headers).json()
    rest = api_org.get(f"{API}/events", params={"limit": 2, "cursor": page["next_cursor"]},
                       headers=org.headers).json()
    assert [e["id"] for e in page["items"] + rest["items"]] == list(reversed(ids))

    one = api_org.get(f"{API}/events/{ids[0]}", headers=org.headers).json()
    assert one["payload"] == {"Invoice_Number__c": "INV-0", "Amount__c": "abc",
                              "Secret_Token__c": "***"}
    assert one["error_code"] == "INVALID_TYPE_ON_FIELD_IN_RECORD" and one["run_id"] == run_id

    resolved = api_org.post(f"{API}/events/{ids[0]}/resolve", headers=org.headers)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"].startswith("api_key:")
    both = api_org.post(f"{API}/events/resolve", json={"ids": ids[1:]}, headers=org.headers)
    assert [e["status"] for e in both.json()["items"]] == ["resolved", "resolved"]
    assert api_org.get(f"{API}/events", headers=org.headers).json()["items"] == []
    everything = api_org.get(f"{API}/events", params={"status": "all"}, headers=org.headers)
    assert len(everything.json()["items"]) == 3
    resolved_only = api_org.get(f"{API}/events", params={"status": "resolved", "kind": "run_failed"},
                                headers=org.headers)
    assert resolved_only.json()["items"] == []


def test_events_errors_and_tenants(
    api_org: TestClient, org: Org, other_tenant: tuple[str, dict[str, str]]
) -> None:
    iid = make_integration(org)
    mine = _event(org, iid)
    theirs = other_tenant[1]
    assert api_org.get(f"{API}/events/{mine}", headers=theirs).status_code == 404
    assert api_org.post(f"{API}/events/{mine}/resolve", headers=theirs).status_code == 404
    resp = api_org.post(f"{API}/events/resolve", json={"ids": [mine]}, headers=theirs)
    assert resp.status_code == 404 and resp.json()["error"]["details"][0]["field"] == "ids.0"
    assert api_org.get(f"{API}/events", headers=theirs).json()["items"] == []
    bad = api_org.get(f"{API}/events", params={"status": "closed"}, headers=org.headers)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "status"
    bad = api_org.get(f"{API}/events", params={"cursor": "zzz"}, headers=org.headers)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "cursor"
    empty = api_org.post(f"{API}/events/resolve", json={"ids": []}, headers=org.headers)
    assert empty.status_code == 422 and empty.json()["error"]["details"][0]["field"] == "ids"
    assert api_org.get(f"{API}/events").status_code == 401


def test_run_history(api_org: TestClient, org: Org,
                     other_tenant: tuple[str, dict[str, str]]) -> None:
    iid = make_integration(org)
    start = utcnow() - timedelta(hours=1)
    ids = [add_run(org, iid, started=start + timedelta(minutes=i), read=10 + i, created=i)
           for i in range(5)]
    _event(org, iid, ids[-1])
    page = api_org.get(f"{API}/integrations/invoices/runs", params={"limit": 3},
                       headers=org.headers).json()
    assert [r["id"] for r in page["items"]] == ids[::-1][:3]
    latest = page["items"][0]
    assert latest["counts"]["read"] == 14 and latest["counts"]["created"] == 4
    assert latest["events"] == 1 and latest["duration_seconds"] == 2.0
    assert latest["integration"] == "invoices" and latest["trigger"] == "manual"
    rest = api_org.get(f"{API}/integrations/invoices/runs",
                       params={"limit": 3, "cursor": page["next_cursor"]}, headers=org.headers)
    assert [r["id"] for r in rest.json()["items"]] == ids[::-1][3:]
    assert rest.json()["next_cursor"] is None

    one = api_org.get(f"{API}/runs/{ids[0]}", headers=org.headers)
    assert one.status_code == 200 and one.json()["events"] == 0
    theirs = other_tenant[1]
    assert api_org.get(f"{API}/runs/{ids[0]}", headers=theirs).status_code == 404
    assert api_org.get(f"{API}/integrations/invoices/runs", headers=theirs).status_code == 404
    assert api_org.get(f"{API}/runs/nope", headers=org.headers).status_code == 404


def test_api_client_tokens_within_their_scopes(
    api_org: TestClient, org: Org, token_with: Callable[[list[str]], dict[str, str]]
) -> None:
    iid = make_integration(org)
    event_id = _event(org, iid)
    run_id = add_run(org, iid)
    push = {"records": [{"number": "INV-1"}]}
    records = f"{API}/integrations/invoices/records"

    def reads(h: dict[str, str]) -> set[int]:
        return {api_org.get(f"{API}/events", headers=h).status_code,
                api_org.get(f"{API}/events/{event_id}", headers=h).status_code,
                api_org.get(f"{API}/runs/{run_id}", headers=h).status_code,
                api_org.get(f"{API}/integrations/invoices/runs", headers=h).status_code}

    def pushes(h: dict[str, str]) -> set[int]:
        return {api_org.post(records, json=push, headers=h).status_code,
                api_org.request("DELETE", records, json={"keys": ["x"]}, headers=h).status_code}

    def resolves(h: dict[str, str]) -> set[int]:
        return {api_org.post(f"{API}/events/{event_id}/resolve", headers=h).status_code,
                api_org.post(f"{API}/events/resolve", json={"ids": [event_id]},
                             headers=h).status_code}

    writer = token_with(["records:write"])
    assert pushes(writer) == {200} and reads(writer) == {403} and resolves(writer) == {403}
    reader = token_with(["integrations:read"])
    assert reads(reader) == {200} and pushes(reader) == {403} and resolves(reader) == {403}
    assert api_org.post(f"{API}/integrations/invoices/runs", headers=reader).status_code == 403
    assert api_org.post(f"{API}/integrations/invoices/plan", headers=reader).status_code == 403
    assert api_org.post(f"{API}/events/retry", json={"ids": [event_id]},
                        headers=reader).status_code == 403
    operator = token_with(["integrations:write"])
    assert resolves(operator) == {200} and pushes(operator) == {403}
