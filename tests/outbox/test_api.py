"""The REST face: publish (202 after storing), list, replay; scopes; tenants kept apart."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from forcebridge.services import api_keys, tenants
from forcebridge.store.integrations import Integration
from forcebridge.store.outbox import OutboxMessage
from tests.api_clients.conftest import token_for
from tests.conftest import bearer
from tests.outbox.conftest import APEX, Org

EVENT = {"key": "acct-1", "type": "invoice.paid", "payload": {"amount": 10}}


def _publish(api: TestClient, org: Org, body: Any, ref: str = "billing") -> Any:
    return api.post(f"/api/v1/integrations/{ref}/events", json=body, headers=org.headers)


def test_publish_stores_before_answering_202(api_org: TestClient, org: Org) -> None:
    org.integration("billing", APEX)
    resp = _publish(api_org, org, EVENT)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["accepted"] == 1
    (answer,) = body["messages"]
    assert answer["status"] == "pending" and answer["duplicate"] is False
    stored = org.message(answer["id"])  # committed: another session reads it
    assert stored.payload == {"amount": 10} and stored.idempotency_key == answer["idempotency_key"]

    listed = api_org.get("/api/v1/integrations/billing/outbox", headers=org.headers).json()
    assert [m["id"] for m in listed["messages"]] == [answer["id"]]
    assert org.deliver() == 1
    delivered = api_org.get(
        "/api/v1/integrations/billing/outbox?status=delivered", headers=org.headers
    ).json()
    assert [m["status"] for m in delivered["messages"]] == ["delivered"]


def test_an_idempotency_key_given_twice_is_stored_once(api_org: TestClient, org: Org) -> None:
    org.integration("billing", APEX)
    event = {**EVENT, "idempotency_key": "inv-77"}
    first = _publish(api_org, org, [event, event]).json()["messages"]
    again = _publish(api_org, org, event).json()["messages"]
    assert first[0]["id"] == first[1]["id"] == again[0]["id"]
    assert [m["duplicate"] for m in first + again] == [False, True, True]
    with org.rt.db.begin() as s:
        assert s.query(OutboxMessage).count() == 1
    assert org.deliver() == 1
    assert len(org.apex_bodies()) == 1
    # without a key, the same event twice is two events
    _publish(api_org, org, [EVENT, EVENT])
    assert org.deliver() == 2


def test_bad_events_are_refused_naming_the_field(api_org: TestClient, org: Org) -> None:
    org.integration("billing", APEX)
    resp = _publish(api_org, org, [EVENT, {"key": "", "type": "t", "payload": []}])
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.json()["error"]["details"]}
    assert fields == {"events.1.key", "events.1.payload"}
    with org.rt.db.begin() as s:
        assert s.query(OutboxMessage).count() == 0  # all or nothing


def test_only_event_publish_integrations_take_events(api_org: TestClient, org: Org) -> None:
    with org.rt.db.begin() as s:
        # a row of another kind (its configuration is another owner's business)
        s.add(Integration(tenant_id=org.tenant_id, name="form", kind="inbound_form", config={}))
    resp = _publish(api_org, org, EVENT, ref="form")
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["field"] == "integration"


def test_replay_through_the_api(api_org: TestClient, org: Org) -> None:
    ref = org.integration("billing", {**APEX, "max_attempts": 1})
    (mid,) = org.publish(ref, [EVENT])
    org.emu.faults("error503=1")
    org.deliver()
    assert org.message(mid).status == "dead"
    dead = api_org.get("/api/v1/integrations/billing/outbox?status=dead", headers=org.headers)
    assert [m["id"] for m in dead.json()["messages"]] == [mid]

    org.emu.faults("")
    resp = api_org.post(
        "/api/v1/integrations/billing/outbox/replay", json={"ids": [mid]}, headers=org.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["messages"][0]["status"] == "pending"
    again = api_org.post(
        "/api/v1/integrations/billing/outbox/replay", json={"ids": [mid]}, headers=org.headers
    )
    assert again.status_code == 422  # only dead messages
    assert again.json()["error"]["details"][0]["field"] == "ids.0"  # the position, not the id
    org.clock.advance(1)
    assert org.deliver() == 1


def test_tenants_never_see_each_others_outbox(api_org: TestClient, org: Org) -> None:
    ref = org.integration("billing", APEX)
    (mid,) = org.publish(ref, [{**EVENT, "idempotency_key": "same"}])
    with org.rt.db.begin() as s:
        other = tenants.create(s, "globex")
        other_key = bearer(api_keys.create(s, other.id, "k").secret)
    for method, path, body in [
        ("post", f"/api/v1/integrations/{ref}/events", EVENT),
        ("get", f"/api/v1/integrations/{ref}/outbox", None),
        ("get", f"/api/v1/integrations/{ref}/outbox/{mid}", None),
        ("post", f"/api/v1/integrations/{ref}/outbox/replay", {"ids": [mid]}),
    ]:
        resp = api_org.request(method, path, json=body, headers=other_key)
        assert resp.status_code == 404, (path, resp.text)

    # the same product idempotency key in another tenant is another event
    from forcebridge.services import integrations
    from forcebridge.services.integrations import IntegrationInput
    from tests.emulated_org import connect

    with org.rt.db.begin() as s:
        connect(s, org.rt, other.id, org.emu)
        integrations.create(
            s, org.rt.vault, other.id,
            IntegrationInput(name="billing", kind="event_publish", connection="demo org", config=APEX),
        )  # fmt: skip
    resp = api_org.post(
        "/api/v1/integrations/billing/events",
        json={**EVENT, "idempotency_key": "same"},
        headers=other_key,
    )
    assert resp.status_code == 202
    theirs = resp.json()["messages"][0]
    assert theirs["duplicate"] is False and theirs["id"] != mid
    assert org.deliver() == 2


def test_api_client_scopes(api_org: TestClient, org: Org) -> None:
    org.integration("billing", APEX)

    def client_token(scopes: list[str], name: str) -> str:
        made = api_org.post(
            "/api/v1/api-clients", json={"name": name, "scopes": scopes}, headers=org.headers
        )
        assert made.status_code == 201, made.text
        token = token_for(api_org, made.json())
        assert token.status_code == 200, token.text
        return str(token.json()["access_token"])

    publisher = bearer(client_token(["events:write"], "salesforce"))
    reader = bearer(client_token(["integrations:read"], "dashboards"))
    ok = api_org.post("/api/v1/integrations/billing/events", json=EVENT, headers=publisher)
    assert ok.status_code == 202, ok.text
    refused = api_org.post("/api/v1/integrations/billing/events", json=EVENT, headers=reader)
    assert refused.status_code == 403
    assert api_org.get("/api/v1/integrations/billing/outbox", headers=reader).status_code == 200
    assert api_org.get("/api/v1/integrations/billing/outbox", headers=publisher).status_code == 403


def test_the_events_api_retries_a_dead_message_by_replaying_it(
    api_org: TestClient, org: Org
) -> None:
    ref = org.integration("billing", {**APEX, "max_attempts": 1})
    (mid,) = org.publish(ref, [{"key": "k", "type": "t", "payload": {"amount": 5}}])
    org.emu.faults("error503=1")
    org.deliver()
    assert org.message(mid).status == "dead"
    listed = api_org.get(
        "/api/v1/events", params={"kind": "delivery_failed"}, headers=org.headers
    ).json()["items"]
    assert [e["record_key"] for e in listed] == ["k"]
    org.emu.faults("")
    resp = api_org.post("/api/v1/events/retry", json={"ids": [listed[0]["id"][:12]]},
                        headers=org.headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["family"] == "outbox"
    assert [(i["id"], i["status"]) for i in body["items"]] == [(mid, "pending")]
    assert org.deliver() == 1 and org.message(mid).status == "delivered"
