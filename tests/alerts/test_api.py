"""/api/v1/alert-channels: create, read (never a URL path or a secret), update, test, delete,
with errors that name the field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.alerts.receiver import receiver
from tests.conftest import bearer


def test_channels_through_the_api(api: TestClient, admin_key: str) -> None:
    h = bearer(admin_key)
    with receiver("/services/T0/B0/s3cretpath") as slack, receiver() as hook:
        made = api.post("/api/v1/alert-channels", headers=h, json={
            "name": "chat", "kind": "slack", "url": slack.url, "rules": ["failed_runs"],
            "failed_runs": 4})
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["url"] == f"http://{slack.url.split('/')[2]}/***"
        assert "s3cretpath" not in made.text and body["new_signing_secret"] is None
        assert (body["rules"], body["failed_runs"], body["enabled"]) == (["failed_runs"], 4, True)

        webhook = api.post("/api/v1/alert-channels", headers=h, json={
            "name": "pager", "kind": "webhook", "url": hook.url})
        assert webhook.status_code == 201, webhook.text
        secret = webhook.json()["new_signing_secret"]
        assert secret.startswith("fbwh_") and webhook.json()["signing_secret"] == "set"
        assert len(webhook.json()["rules"]) == 6  # every rule by default
        shown = api.get("/api/v1/alert-channels/pager", headers=h)
        assert shown.status_code == 200 and secret not in shown.text

        tested = api.post("/api/v1/alert-channels/chat/test", headers=h)
        assert tested.json() == {"status": "sent", "attempts": 1, "error": None}
        [message] = slack.received
        assert "Test" in message.json["text"] and "/alerts|" in message.json["text"]
        slack_down = api.patch("/api/v1/alert-channels/chat", headers=h,
                               json={"url": "http://127.0.0.1:9/nothing"})
        assert slack_down.status_code == 200, slack_down.text
        failed = api.post("/api/v1/alert-channels/chat/test", headers=h).json()
        assert failed["status"] == "pending" and failed["error"].startswith("no answer")
        assert api.get("/api/v1/alert-channels/chat", headers=h).json()["last_message"][
            "status"] == "pending"

    names = [c["name"] for c in api.get("/api/v1/alert-channels", headers=h).json()]
    assert names == ["chat", "pager"]
    assert api.get("/api/v1/alert-channels/pager/incidents", headers=h).json() == []
    assert api.delete("/api/v1/alert-channels/pager", headers=h).status_code == 204
    assert api.get("/api/v1/alert-channels/pager", headers=h).status_code == 404


def test_bad_channels_are_refused_naming_the_field(api: TestClient, admin_key: str) -> None:
    h = bearer(admin_key)

    def refused(body: dict[str, object], path: str = "/api/v1/alert-channels") -> set[str]:
        answer = api.post(path, headers=h, json=body)
        assert answer.status_code == 422, answer.text
        return {d["field"] for d in answer.json()["error"]["details"]}

    assert any(f.endswith("url") for f in refused({"name": "x", "kind": "slack"}))
    assert any(f.endswith("recipients") for f in refused(
        {"name": "x", "kind": "email", "recipients": []}))
    assert any(f.endswith("recipients.0") for f in refused(
        {"name": "x", "kind": "email", "recipients": ["not an address"]}))
    assert any(f.endswith("rules.0") for f in refused(
        {"name": "x", "kind": "slack", "url": "https://hooks.example.com/a", "rules": ["nope"]}))
    assert any(f.endswith("kind") for f in refused({"name": "x", "kind": "pigeon"}))
    made = api.post("/api/v1/alert-channels", headers=h, json={
        "name": "mail", "kind": "email", "recipients": ["ops@acme.example"]})
    assert made.status_code == 201
    again = api.post("/api/v1/alert-channels", headers=h, json={
        "name": "MAIL ", "kind": "email", "recipients": ["ops@acme.example"]})
    assert again.status_code in (201, 409)
