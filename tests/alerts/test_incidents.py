"""Alerts on real runs: each channel hears once per incident and once when it resolves; Slack
and a webhook endpoint are real HTTP servers, webhook signatures are checked as a receiver
would, mail goes through a real SMTP server; a failing channel is retried and never holds up
a run."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import anyio
import pytest
from sqlalchemy import select, update

from forcebridge import alerts
from forcebridge.outbox import messages as outbox_messages
from forcebridge.runs import run_integration
from forcebridge.scheduling.scheduler import tick
from forcebridge.services import alert_channels
from forcebridge.services.alert_channels import AlertChannelInput
from forcebridge.store.alerts import AlertMessage
from forcebridge.store.connections import Connection
from forcebridge.store.integrations import Integration
from forcebridge.store.outbox import OutboxMessage
from forcebridge.store.types import utcnow
from tests.alerts.receiver import Received, receiver
from tests.mail import smtp_server
from tests.outbox.conftest import Org, events
from tests.runs.conftest import World, invoice_rows, write_csv

pytestmark = pytest.mark.anyio


def channel(rt: Any, tenant_id: str, **fields: Any) -> tuple[str, str | None]:
    with rt.db.begin() as s:
        rt.settings.alert_allowed_hosts = ["127.0.0.1"]  # the test receivers listen here
        saved = alert_channels.create(s, rt.vault, tenant_id, AlertChannelInput(**fields),
                                      allowed_hosts=rt.settings.alert_allowed_hosts)
        return saved.channel.id, saved.signing_secret


async def cycle(rt: Any, now: Any = None) -> None:
    """What the scheduler's alert job does: evaluate the rules, send what is due."""
    await anyio.to_thread.run_sync(alerts.evaluate, rt, now)
    await alerts.send_due(rt, now=(lambda: now) if now else None)


def verified(secret: str, received: Received) -> dict[str, Any]:
    """The body, once its signature checks out as a receiver checks it."""
    header = received.headers["x-forcebridge-signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + received.raw,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected), header
    assert abs(int(parts["t"]) - utcnow().timestamp()) < 60
    return dict(received.json)


async def test_failed_runs_open_once_and_resolve_on_slack_webhook_and_email(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(2, account="A-404"))
    iid = world.integration(reference=True)
    link = f"{world.rt.settings.resolved_public_url}/integrations/{iid}"
    with receiver("/services/T1/B1/x") as slack, receiver() as hook, \
            smtp_server() as (inbox, port):
        world.rt.settings.smtp_host, world.rt.settings.smtp_port = "127.0.0.1", port
        rules = {"rules": ["failed_runs"], "failed_runs": 2}
        channel(world.rt, world.tenant_id, name="chat", kind="slack", url=slack.url, **rules)
        _, secret = channel(world.rt, world.tenant_id, name="pager", kind="webhook",
                            url=hook.url, **rules)
        channel(world.rt, world.tenant_id, name="on call", kind="email",
                recipients=["oncall@acme.example"], **rules)
        assert secret is not None and secret.startswith("fbwh_")

        seen = []
        for _ in range(3):  # fails, fails (N reached: alert), fails again (same incident)
            run = world.run(await run_integration(world.rt, world.tenant_id, iid))
            assert run.status == "failed"
            await cycle(world.rt)
            seen.append((len(slack.received), len(hook.received), len(inbox.messages)))
        assert seen == [(0, 0, 0), (1, 1, 1), (1, 1, 1)]

        world.emu.org.insert("Account", {"Name": "Acme", "External_Id__c": "A-404"})
        assert world.run(await run_integration(world.rt, world.tenant_id, iid)).status \
            == "succeeded"
        await cycle(world.rt)
        await cycle(world.rt)  # nothing more to say
        assert (len(slack.received), len(hook.received), len(inbox.messages)) == (2, 2, 2)

    opened, resolved = (r.json["text"] for r in slack.received)
    assert opened.startswith(":rotating_light: *Alert* (acme): Integration 'invoices' failed 2")
    assert f"<{link}|Open in the forcebridge console>" in opened
    assert resolved.startswith(":white_check_mark: *Resolved* (acme)") and link in resolved
    assert all(r.path == "/services/T1/B1/x" for r in slack.received)

    first, second = (verified(secret, r) for r in hook.received)
    assert (first["event"], second["event"]) == ("alert.opened", "alert.resolved")
    assert first["incident"]["id"] == second["incident"]["id"]
    assert first["incident"]["rule"] == "failed_runs" and first["link"] == link
    assert first["incident"]["subject"] == {"type": "integration", "id": iid, "name": "invoices"}
    assert second["incident"]["resolved_at"] is not None
    assert [r.headers["x-forcebridge-event"] for r in hook.received] == [
        "alert.opened", "alert.resolved"]
    assert "A-404" not in str(first) and "INV-" not in str(first)  # no record key, no payload

    subjects = [" ".join(str(m["Subject"]).split()) for m in inbox.messages]
    assert subjects == ["[forcebridge] acme: Integration 'invoices' failed 2 runs in a row",
                        "[forcebridge] acme: Resolved: Integration 'invoices' failed 2 runs "
                        "in a row"]
    assert all(m["To"] == "oncall@acme.example" for m in inbox.messages)
    assert link in inbox.messages[0].get_payload()


async def test_a_failing_channel_is_retried_with_backoff_and_never_holds_up_a_run(
    world: World,
) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(2))
    iid = world.integration()
    with world.rt.db.begin() as s:
        s.execute(update(Integration).where(Integration.id == iid).values(failure_streak=5))
    with receiver() as hook:
        hook.fail_next = 2
        _, secret = channel(world.rt, world.tenant_id, name="pager", kind="webhook",
                            url=hook.url, rules=["failed_runs"], failed_runs=5)
        now = utcnow()
        await cycle(world.rt, now)
        # the channel is down: the run goes on as ever
        assert world.run(await run_integration(world.rt, world.tenant_id, iid)).status \
            == "succeeded"
        with world.rt.db.session() as s:
            (message,) = s.scalars(select(AlertMessage)).all()
        assert (message.status, message.attempts) == ("pending", 1)
        assert message.last_error == "answered HTTP 500"
        assert message.next_attempt_at == now + timedelta(seconds=30)
        assert hook.fail_next == 1
        await alerts.send_due(world.rt, now=lambda: now + timedelta(seconds=29))
        assert hook.fail_next == 1  # not due yet: nothing was tried
        await alerts.send_due(world.rt, now=lambda: now + timedelta(seconds=31))
        assert hook.fail_next == 0 and not hook.received  # second try failed too: wait 60 s
        later = now + timedelta(seconds=31 + 61)
        await cycle(world.rt, later)  # the run that succeeded resolved it meanwhile
        assert [verified(secret or "", r)["event"] for r in hook.received] == [
            "alert.opened", "alert.resolved"]
        with world.rt.db.session() as s:
            attempts = [(m.kind, m.status, m.attempts) for m in s.scalars(
                select(AlertMessage).order_by(AlertMessage.id))]
        assert attempts == [("opened", "sent", 3), ("resolved", "sent", 1)]


async def test_a_channel_nobody_answers_is_given_up_after_its_attempts(world: World) -> None:
    with receiver() as gone:
        url = gone.url  # the server stops: nothing listens there any more
    channel(world.rt, world.tenant_id, name="dead", kind="slack", url=url)
    with world.rt.db.begin() as s:
        message_id = alert_channels.queue_test(s, world.rt.settings, world.tenant_id, "dead")
    now = utcnow()
    for attempt in range(alerts.delivery.MAX_ATTEMPTS):
        await alerts.send_due(world.rt, now=lambda moment=now: moment)
        now += timedelta(seconds=alerts.delivery.wait_after(attempt + 1) + 1)
    with world.rt.db.session() as s:
        message = s.get(AlertMessage, message_id)
        assert message is not None
        assert (message.status, message.attempts) == ("failed", alerts.delivery.MAX_ATTEMPTS)
        assert message.last_error == "no answer (ConnectError)"


async def test_api_budget_alerts_at_80_and_95_percent_and_resolve(world: World) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(1))
    iid = world.integration()
    usage = world.emu.emulator.usage
    with receiver() as hook:
        _, secret = channel(world.rt, world.tenant_id, name="pager", kind="webhook",
                            url=hook.url, rules=["api_budget"])

        async def run_at(share: float) -> list[str]:
            usage.used = int(usage.allocation * share)
            await run_integration(world.rt, world.tenant_id, iid)
            await cycle(world.rt)
            return [f"{b['event']} {b['incident']['rule']}"
                    for b in (verified(secret or "", r) for r in hook.received)]

        assert await run_at(0.5) == []
        assert await run_at(0.85) == ["alert.opened api_budget_80"]
        assert (await run_at(0.96))[1:] == ["alert.opened api_budget_95"]
        assert (await run_at(0.97))[2:] == []
        usage.reset()  # a new day
        assert sorted((await run_at(0.0))[2:]) == [
            "alert.resolved api_budget_80", "alert.resolved api_budget_95"]
    body = verified(secret or "", hook.received[1])
    assert body["incident"]["subject"]["type"] == "connection"
    assert "96 %" in body["incident"]["summary"]
    assert body["link"].endswith(f"/connections/{body['incident']['subject']['id']}")


async def test_reauthorization_disabled_and_missed_schedule_alert_and_resolve(
    world: World,
) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(1))
    iid = world.integration()
    with receiver() as hook:
        _, secret = channel(world.rt, world.tenant_id, name="pager", kind="webhook",
                            url=hook.url, rules=["connection_reauthorization",
                                                 "integration_disabled", "schedule_missed"])

        def told() -> list[str]:
            return [f"{b['event']} {b['incident']['rule']}"
                    for b in (verified(secret or "", r) for r in hook.received)]

        now = utcnow()
        grace = world.rt.settings.alert_schedule_grace_seconds
        with world.rt.db.begin() as s:
            s.execute(update(Connection).values(status="needs_reauthorization",
                                                status_reason="refresh token revoked"))
            s.execute(update(Integration).where(Integration.id == iid).values(
                schedule="0 * * * *", next_run_at=now - timedelta(seconds=grace + 60)))
        await cycle(world.rt, now)
        assert sorted(told()) == ["alert.opened connection_reauthorization",
                                  "alert.opened schedule_missed"]
        with world.rt.db.begin() as s:
            s.execute(update(Connection).values(status="authorized"))
        assert [r for r in await tick(world.rt, now) if r]  # the scheduler starts the run
        await cycle(world.rt, now)
        assert sorted(told()[2:]) == ["alert.resolved connection_reauthorization",
                                      "alert.resolved schedule_missed"]
        with world.rt.db.begin() as s:
            s.execute(update(Integration).values(enabled=False, disabled_reason="by Ada"))
        await cycle(world.rt, now)
        assert told()[4:] == ["alert.opened integration_disabled"]
        assert "by Ada" in verified(secret or "", hook.received[4])["incident"]["summary"]


def test_dead_letters_alert_and_resolve_once_replayed(org: Org) -> None:
    lost = org.integration("lost", {"target": "acme/nowhere", "max_attempts": 8})
    ids = org.publish(lost, events("a", 2))
    assert org.deliver() == 0
    with receiver() as hook:
        _, secret = channel(org.rt, org.tenant_id, name="pager", kind="webhook", url=hook.url,
                            rules=["dead_letters"])
        anyio.run(cycle, org.rt)
        with org.rt.db.begin() as s:
            outbox_messages.replay(s, org.tenant_id, ids, actor="test", now=org.clock())
            assert not s.scalars(select(OutboxMessage).where(
                OutboxMessage.status == "dead")).all()
        anyio.run(cycle, org.rt)
        bodies = [verified(secret or "", r) for r in hook.received]
    assert [b["event"] for b in bodies] == ["alert.opened", "alert.resolved"]
    assert bodies[0]["incident"]["summary"] == "Integration 'lost' holds 2 dead letter(s)"
