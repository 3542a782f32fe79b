"""Apex REST endpoints and platform events, and how a test inspects what a client delivered.

No recording of Apex REST traffic exists (sf-recordings README); behaviour follows the Apex
Developer Guide, "Exposing Apex Classes as REST Web Services" (apex_rest_intro.htm): resources
live under /services/apexrest/, need the same OAuth session as the REST API, and an unmapped
URL answers 404 NOT_FOUND "Could not find a match for URL".
"""

from __future__ import annotations

import pytest
from harness.http_client import V, emulator_client

pytestmark = pytest.mark.anyio


async def test_registered_endpoint_answers_and_records_the_request() -> None:
    async with emulator_client() as c:
        response = await c.post(
            "/services/apexrest/acme/events",
            json={"kind": "invoice.paid", "id": 7},
            headers={"X-Idempotency-Key": "k-1"},
        )
        assert response.status_code == 200
        assert response.json() == {"accepted": True}  # demo org's configured response
        assert response.headers["Sforce-Limit-Info"] == "api-usage=1/15000"

        log = (await c.http.get("/__emulator__/apex/requests")).json()
        assert len(log) == 1
        entry = log[0]
        assert entry["method"] == "POST" and entry["path"] == "/acme/events"
        assert entry["json"] == {"kind": "invoice.paid", "id": 7}
        assert entry["headers"]["x-idempotency-key"] == "k-1"
        assert "authorization" not in entry["headers"]  # the token is never kept
        assert entry["user"] == "demo@forcebridge.example"


async def test_unknown_path_method_and_session() -> None:
    async with emulator_client() as c:
        missing = await c.post("/services/apexrest/acme/nothing", json={})
        assert missing.status_code == 404
        assert missing.json() == [
            {"errorCode": "NOT_FOUND", "message": "Could not find a match for URL"}
        ]
        wrong = await c.get("/services/apexrest/acme/events")
        assert wrong.status_code == 405
        assert wrong.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
        anonymous = await c.http.post("/services/apexrest/acme/events", json={})
        assert anonymous.status_code == 401
        # Requests that reached the org are all recorded, matched or not.
        log = (await c.http.get("/__emulator__/apex/requests")).json()
        assert [(e["method"], e["matched"]) for e in log] == [("POST", False), ("GET", True)]


async def test_endpoints_registered_through_admin() -> None:
    async with emulator_client() as c:
        added = await c.http.post(
            "/__emulator__/apex/endpoints",
            json={"path": "/orders/*", "methods": ["put"], "status": 202, "response": "queued"},
        )
        assert added.status_code == 201
        response = await c.http.put(
            "/services/apexrest/orders/42", headers=c.headers, content=b"raw text"
        )
        assert response.status_code == 202 and response.json() == "queued"
        log = (await c.http.get("/__emulator__/apex/requests?path=/orders/42")).json()
        assert log[0]["body"] == "raw text" and log[0]["json"] is None
        assert (await c.http.delete("/__emulator__/apex/requests")).status_code == 204
        assert (await c.http.get("/__emulator__/apex/requests")).json() == []
        bad = await c.http.post("/__emulator__/apex/endpoints", json={"route": "/x"})
        assert bad.status_code == 400 and "route" in bad.json()["error"]


async def test_platform_events_from_sobjects_and_composite() -> None:
    async with emulator_client() as c:
        single = await c.post(
            f"{V}/sobjects/Acme_Event__e", json={"Kind__c": "a", "Payload__c": "{}"}
        )
        assert single.status_code == 201 and single.json()["success"] is True
        batch = await c.post(
            f"{V}/composite/sobjects",
            json={
                "records": [
                    {"attributes": {"type": "Acme_Event__e"}, "Kind__c": "b"},
                    {"attributes": {"type": "Acme_Event__e"}, "Payload__c": "no kind"},
                ]
            },
        )
        assert [r["success"] for r in batch.json()] == [True, False]
        events = (await c.http.get("/__emulator__/platform-events?sobject=acme_event__e")).json()
        assert [e["Kind__c"] for e in events["Acme_Event__e"]] == ["a", "b"]
