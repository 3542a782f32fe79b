"""Delivery against the emulator: order per key under faults, independence of keys, backoff
on a movable clock, dead letters and replay, platform event batching, restarts and claims."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import anyio
from sqlalchemy import select

from forcebridge.outbox import delivery, messages
from forcebridge.runtime import Runtime
from forcebridge.store.outbox import OutboxMessage
from forcebridge.store.runs import Event
from tests.outbox.conftest import APEX, EVENTS, Org, events


def test_apex_delivery_sends_the_body_and_the_idempotency_header(org: Org) -> None:
    ref = org.integration("billing", APEX)
    (mid,) = org.publish(ref, [{"key": "acct-1", "type": "invoice.paid", "payload": {"n": 1}}])
    assert org.apex_bodies() == []  # stored, not yet sent

    assert org.deliver() == 1

    (request,) = org.emu.emulator.apex_log.to_json("/acme/events")
    message = org.message(mid)
    assert request["headers"]["idempotency-key"] == message.idempotency_key
    body = request["json"]
    assert body["id"] == mid and body["key"] == "acct-1" and body["type"] == "invoice.paid"
    assert body["idempotency_key"] == message.idempotency_key and body["payload"] == {"n": 1}
    assert message.status == "delivered" and message.attempts == 1
    assert message.delivered_at is not None
    assert org.deliver() == 0  # nothing is sent twice


def test_order_per_key_holds_under_503_faults(org: Org) -> None:
    ref = org.integration("billing", {**APEX, "max_attempts": 100})
    keys = ["a", "b", "c", "d"]
    published = {k: org.publish(ref, events(k, 12)) for k in keys}
    org.emu.faults("error503=0.35,seed=7")

    assert org.drain() == 48

    received = org.apex_bodies()
    for key in keys:
        ids = [b["id"] for b in received if b["key"] == key]
        # at least once, in order: a repeat may follow its original, never precede a later one
        assert sorted(set(ids)) == published[key]
        assert [i for n, i in enumerate(ids) if i not in ids[:n]] == published[key]
    assert org.emu.emulator.faults.injected["error503"] > 5
    with org.rt.db.begin() as s:
        retried = s.scalars(select(OutboxMessage).where(OutboxMessage.attempts > 1)).all()
        assert retried, "the faults made some messages try again"


def test_a_failing_key_does_not_hold_up_other_keys(org: Org) -> None:
    ref = org.integration("billing", APEX)
    first_a, second_a = org.publish(ref, events("a", 2))
    org.emu.faults("error503=1")
    assert org.deliver() == 0  # a's head failed: it waits out its backoff
    assert org.message(first_a).attempts == 1

    org.emu.faults("")
    b_ids = org.publish(ref, events("b", 3))
    assert org.deliver() == 3  # b's three, one after another; a is still backing off
    assert [b["id"] for b in org.apex_bodies()] == b_ids
    assert org.message(second_a).status == "pending" and org.message(second_a).attempts == 0

    org.clock.advance(2.0)
    assert org.deliver() == 2
    assert [b["id"] for b in org.apex_bodies()][3:] == [first_a, second_a]


def test_a_later_message_waits_behind_one_claimed_elsewhere(org: Org) -> None:
    ref = org.integration("billing", APEX)
    first, second = org.publish(ref, events("a", 2))
    other = org.publish(ref, events("b", 1))
    # another process claimed a's head and is still sending it
    claimed = delivery.claim(org.rt, ref, org.clock(), 1)
    assert [c.id for c in claimed] == [first]

    assert org.deliver() == 1
    assert [b["id"] for b in org.apex_bodies()] == other
    assert org.message(second).attempts == 0


def test_backoff_grows_exponentially_on_the_clock(org: Org) -> None:
    ref = org.integration(
        "billing", {**APEX, "backoff_base_seconds": 10, "backoff_max_seconds": 35}
    )
    (mid,) = org.publish(ref, events("a", 1))
    org.emu.faults("error503=1")
    expected_waits = [10, 20, 35, 35]  # base * 2**(n-1), capped; jitter takes up to 25% off
    for attempt, wait in enumerate(expected_waits, start=1):
        before = org.clock()
        assert org.deliver() == 0
        message = org.message(mid)
        assert message.attempts == attempt
        assert message.last_error is not None and "SERVER_UNAVAILABLE" in message.last_error
        delay = (message.next_attempt_at - before).total_seconds()
        assert wait * 0.75 - 0.01 <= delay <= wait + 0.01, (attempt, delay)
        org.clock.advance(wait * 0.75 - 1)
        assert org.deliver() == 0 and org.message(mid).attempts == attempt  # not yet due
        org.clock.advance(wait * 0.25 + 1)
    org.emu.faults("")
    assert org.deliver() == 1
    assert org.message(mid).attempts == len(expected_waits) + 1


def test_dead_letter_after_max_attempts_then_replay(org: Org) -> None:
    ref = org.integration("billing", {**APEX, "max_attempts": 3})
    (mid,) = org.publish(ref, [{"key": "k", "type": "t", "payload": {"amount": 5}}])
    org.emu.faults("error503=1")
    for _ in range(3):
        org.deliver()
        org.clock.advance(3600)
    message = org.message(mid)
    assert message.status == "dead" and message.attempts == 3
    assert org.deliver() == 0 and org.message(mid).attempts == 3  # dead stays dead

    with org.rt.db.begin() as s:
        (event,) = s.scalars(select(Event).where(Event.integration_id == ref)).all()
        assert event.kind == "delivery_failed" and event.status == "open"
        assert event.error_code == "SERVER_UNAVAILABLE" and event.record_key == "k"
        assert event.payload is not None and event.payload["outbox_id"] == mid
        assert event.payload["payload"] == {"amount": 5}
        event_id = event.id

    org.emu.faults("")
    with org.rt.db.begin() as s:
        messages.replay(s, org.tenant_id, [mid], actor="test", now=org.clock())
    replayed = org.message(mid)
    assert replayed.status == "pending" and replayed.attempts == 0 and replayed.last_error is None
    with org.rt.db.begin() as s:
        event = s.get(Event, event_id)
        assert event is not None and event.status == "retried" and event.resolved_by == "test"

    assert org.deliver() == 1
    assert org.message(mid).status == "delivered"
    assert [b["id"] for b in org.apex_bodies()] == [mid]


def test_a_refusal_dead_letters_at_once_and_does_not_block_the_key(org: Org) -> None:
    ref = org.integration("events", EVENTS)
    too_long = "x" * 81  # Kind__c holds 80 characters: STRING_TOO_LONG, a record error
    bad, good = org.publish(
        ref,
        [{"key": "k", "type": too_long, "payload": {}}, {"key": "k", "type": "ok", "payload": {}}],
    )
    assert org.deliver() == 1
    dead = org.message(bad)
    assert dead.status == "dead" and dead.attempts == 1
    assert dead.last_error is not None and dead.last_error.startswith("STRING_TOO_LONG")
    assert org.message(good).status == "delivered"
    assert [e["Kind__c"] for e in org.published()] == ["ok"]


def test_an_unknown_apex_path_dead_letters_at_once(org: Org) -> None:
    ref = org.integration("billing", {"target": "acme/nowhere", "max_attempts": 8})
    (mid,) = org.publish(ref, events("a", 1))
    assert org.deliver() == 0
    message = org.message(mid)
    assert message.status == "dead" and message.attempts == 1
    assert message.last_error is not None and message.last_error.startswith("NOT_FOUND")


def test_platform_events_are_batched_per_call_and_keep_key_order(org: Org) -> None:
    ref = org.integration("events", EVENTS)
    many = [{"key": f"acct-{i}", "type": "balance", "payload": {"i": i}} for i in range(450)]
    org.publish(ref, many)
    calls_before = org.emu.emulator.usage.used

    assert org.deliver() == 450

    assert org.emu.emulator.usage.used - calls_before == 3  # 200 + 200 + 50
    published = org.published()
    assert len(published) == 450
    assert json.loads(published[0]["Payload__c"]) == {"i": 0}
    assert {e["Kind__c"] for e in published} == {"balance"}

    # several events of one key: one per call, in order
    org.emu.org.events.clear()
    calls_before = org.emu.emulator.usage.used
    org.publish(ref, events("a", 4) + events("b", 4))
    assert org.deliver() == 8
    assert org.emu.emulator.usage.used - calls_before == 4
    for key in ("a", "b"):
        seqs = [json.loads(e["Payload__c"])["seq"] for e in org.published()]
        keyed = [s for s, e in zip(seqs, org.published(), strict=True)
                 if json.loads(e["Payload__c"])["key"] == key]  # fmt: skip
        assert keyed == [0, 1, 2, 3]


def test_payload_values_can_go_to_fields_of_their_own(org: Org) -> None:
    # the demo event has Kind__c and Payload__c only (no key or idempotency field to fill)
    ref = org.integration(
        "events", {**EVENTS, "payload_fields": {"Payload__c": "text"}, "payload_field": None}
    )
    org.publish(ref, [{"key": "k", "type": "t", "payload": {"text": "hello"}}])
    assert org.deliver() == 1
    (event,) = org.published()
    assert event["Payload__c"] == "hello" and event["Kind__c"] == "t"


def test_events_accepted_before_a_restart_are_delivered_after_it(org: Org) -> None:
    ref = org.integration("billing", APEX)
    ids = org.publish(ref, events("a", 3))
    org.rt.close()  # the process ends without delivering

    fresh = Runtime(org.rt.settings, salesforce_transport=org.emu.transport)
    try:
        assert anyio.run(delivery.deliver_due, fresh) == 3
    finally:
        fresh.close()
    assert [b["id"] for b in org.apex_bodies()] == ids


def test_a_claim_of_a_crashed_process_expires_and_is_delivered_again(org: Org) -> None:
    ref = org.integration("billing", APEX)
    (mid,) = org.publish(ref, events("a", 1))
    claimed = delivery.claim(org.rt, ref, org.clock(), 10)
    assert [c.id for c in claimed] == [mid]
    # the claiming process dies here, before sending

    org.clock.advance(60)
    assert org.deliver() == 0  # the claim still stands
    org.clock.advance(org.rt.settings.outbox_claim_lease_seconds)
    assert org.deliver() == 1
    message = org.message(mid)
    assert message.status == "delivered" and message.attempts == 2
    assert [b["id"] for b in org.apex_bodies()] == [mid]


def test_two_processes_never_deliver_one_message_twice(org: Org) -> None:
    ref = org.integration("billing", APEX)
    ids = org.publish(ref, [{"key": f"k{i}", "type": "t", "payload": {}} for i in range(60)])
    org.emu.faults("latency=5")
    other = Runtime(org.rt.settings, salesforce_transport=org.emu.transport)
    counts: list[int] = []

    def worker(rt: Runtime) -> None:
        counts.append(anyio.run(delivery.deliver_due, rt))

    threads = [threading.Thread(target=worker, args=(rt,)) for rt in (org.rt, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert sum(counts) == 60
    received = [b["id"] for b in org.apex_bodies()]
    assert sorted(received) == ids  # each exactly once


def test_disabled_or_unconnected_integrations_keep_their_messages(org: Org) -> None:
    ref = org.integration("billing", APEX, enabled=False)
    org.publish(ref, events("a", 2))
    assert org.deliver() == 0 and org.pending() == 2
    with org.rt.db.begin() as s:
        from forcebridge.services import integrations

        integrations.enable(s, org.tenant_id, ref)
    assert org.deliver() == 2


def test_a_clock_in_the_past_sees_nothing_due(org: Org) -> None:
    ref = org.integration("billing", APEX)
    org.publish(ref, events("a", 1))
    past = org.clock() - timedelta(minutes=5)
    assert anyio.run(lambda: delivery.deliver_due(org.rt, now=lambda: past)) == 0


def test_only_messages_a_pass_would_deliver_count_as_pending(org: Org) -> None:
    from forcebridge.store.connections import Connection

    ref = org.integration("billing", APEX)
    org.publish(ref, events("k", 2))
    assert delivery.pending_count(org.rt) == 2
    with org.rt.db.begin() as s:
        for conn in s.scalars(select(Connection)):
            conn.status = "needs_reauthorization"  # waits for a person, not for a pass
    assert delivery.pending_count(org.rt) == 0
    assert org.deliver() == 0
