"""Alert channel URLs never reach the server's own network unless the operator allows it."""

from __future__ import annotations

import anyio
from fastapi.testclient import TestClient

from forcebridge.alerts import destinations
from forcebridge.alerts.channels import ChannelFailed, Target, send
from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, tenants
from forcebridge.settings import Settings
from tests.conftest import bearer


def test_private_loopback_and_link_local_hosts_are_refused_unless_allowed() -> None:
    refused = {
        "http://127.0.0.1:8000/x": "loopback", "http://localhost/x": "loopback",
        "https://10.1.2.3/x": "private", "https://192.168.0.7/x": "private",
        "http://169.254.169.254/latest/meta-data": "link-local", "http://[::1]/x": "loopback",
        "http://[::ffff:127.0.0.1]/x": "loopback", "http://0.0.0.0/x": "unspecified",
    }
    for url, kind in refused.items():
        reason = destinations.refusal(url, [])
        assert reason is not None and kind in reason, url
        assert "FORCEBRIDGE_ALERT_ALLOWED_HOSTS" in reason
    for url in ("https://hooks.slack.com/services/T/B/x", "https://8.8.8.8/x"):
        assert destinations.refusal(url, []) is None, url
    assert destinations.refusal("http://127.0.0.1:8000/x", ["127.0.0.1"]) is None
    assert destinations.refusal("http://10.1.2.3/x", ["*"]) is None
    assert destinations.refusal("http://localhost/x", ["LOCALHOST"]) is None


def test_settings_take_a_comma_separated_allow_list(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FORCEBRIDGE_ALERT_ALLOWED_HOSTS", "hooks.internal, 10.0.0.5")
    assert Settings().alert_allowed_hosts == ["hooks.internal", "10.0.0.5"]
    assert Settings(alert_allowed_hosts=[]).alert_allowed_hosts == []


def test_the_api_refuses_them_naming_the_url(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rt = Runtime(Settings(data_dir=tmp_path / "data", database_url=database_url))
    rt.migrate()
    with rt.db.begin() as s:
        key = api_keys.create(s, tenants.create(s, "acme").id, "admin", admin=True).secret
    try:
        with TestClient(create_app(rt)) as api:
            for url in ("http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data"):
                answer = api.post("/api/v1/alert-channels", headers=bearer(key), json={
                    "name": "pager", "kind": "webhook", "url": url})
                assert answer.status_code == 422, answer.text
                [detail] = answer.json()["error"]["details"]
                assert detail["field"] == "url"
                assert detail["reason"].startswith("must not reach the server's own network")
            fine = api.post("/api/v1/alert-channels", headers=bearer(key), json={
                "name": "chat", "kind": "slack", "url": "https://hooks.slack.example/T/B/x"})
            assert fine.status_code == 201, fine.text
    finally:
        rt.close()


def test_a_name_is_judged_where_it_resolves_and_again_when_sending(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert destinations.refusal("https://hooks.internal.example/x", []) is None  # a name
    said = destinations.addresses_refusal("hooks.internal.example", ["93.184.215.14", "10.0.0.9"])
    assert said == ("hooks.internal.example resolves to 10.0.0.9, a private address; allow it "
                    "with FORCEBRIDGE_ALERT_ALLOWED_HOSTS")
    assert destinations.addresses_refusal("example.com", ["93.184.215.14"]) is None

    # a channel saved before the rule (or by an allow-list since shortened) is not posted to
    target = Target(kind="webhook", url="http://localhost:9/x", signing_secret="s",
                    recipients=())

    async def post() -> str:
        import httpx

        async with httpx.AsyncClient() as http:
            try:
                await send(Settings(data_dir=tmp_path), target, 1, {"event": "test"}, http)
            except ChannelFailed as exc:
                return str(exc)
        return "sent"

    assert anyio.run(post).startswith("not sent: localhost is this server (loopback)")
