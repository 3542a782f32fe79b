"""A tenant connected to the emulated demo org, event integrations on it, and a movable clock.

The demo org registers the Apex REST resource /acme/events (POST, 200) and the platform event
Acme_Event__e (Kind__c required, Payload__c long text); what the emulator received is read
from its Apex log and its published events, never from our own records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from forcebridge.api import create_app
from forcebridge.outbox import delivery, publishing
from forcebridge.runtime import Runtime
from forcebridge.services import api_keys, integrations
from forcebridge.services.integrations import IntegrationInput
from forcebridge.store.integrations import Integration
from forcebridge.store.outbox import OutboxMessage
from forcebridge.store.types import utcnow
from tests.conftest import bearer
from tests.emulated_org import connected_tenant
from tests.salesforce.emulated import Emulated

APEX = {"target": "/services/apexrest/acme/events", "backoff_base_seconds": 2.0}
EVENTS = {
    "target": "Acme_Event__e",
    "type_field": "Kind__c",
    "payload_field": "Payload__c",
}


def _soon() -> datetime:
    # a minute ahead of the wall clock, so what a test publishes after making the clock is due
    return utcnow() + timedelta(minutes=1)


@dataclass
class Clock:
    now: datetime = field(default_factory=_soon)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Org:
    """A tenant connected to the emulated org, as the service and the API see it."""

    rt: Runtime
    emu: Emulated
    tenant_id: str
    headers: dict[str, str]
    clock: Clock

    def integration(self, name: str, config: dict[str, Any], **extra: Any) -> str:
        with self.rt.db.begin() as s:
            body = IntegrationInput(
                name=name, kind="event_publish", connection="demo org", config=config, **extra
            )
            return integrations.create(s, self.rt.vault, self.tenant_id, body).id

    def publish(self, ref: str, events: list[dict[str, Any]]) -> list[int]:
        with self.rt.db.begin() as s:
            target = integrations.get(s, self.tenant_id, ref)
            return [m.id for m in publishing.publish(s, target, events)]

    def deliver(self) -> int:
        return anyio.run(lambda: delivery.deliver_due(self.rt, now=self.clock))

    def drain(self, *, step: float = 3600.0, rounds: int = 200) -> int:
        """Passes with the clock moved on between them, until nothing is pending."""
        total = 0
        for _ in range(rounds):
            total += self.deliver()
            if not self.pending():
                return total
            self.clock.advance(step)
        raise AssertionError("messages still pending after every round")

    def pending(self) -> int:
        with self.rt.db.begin() as s:
            return s.query(OutboxMessage).filter(OutboxMessage.status == "pending").count()

    def message(self, message_id: int) -> OutboxMessage:
        with self.rt.db.begin() as s:
            found = s.get(OutboxMessage, message_id)
            assert found is not None
            s.expunge(found)
            return found

    def apex_bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies the emulator's Apex endpoint accepted, in arrival order."""
        return [
            r["json"]
            for r in self.emu.emulator.apex_log.to_json("/acme/events")
            if r["method"] == "POST"
        ]

    def published(self) -> list[dict[str, Any]]:
        return list(self.emu.org.events.get("Acme_Event__e", []))


@pytest.fixture
def org(runtime: Runtime, emu: Emulated) -> Org:
    runtime.salesforce_transport = emu.transport
    with runtime.db.begin() as s:
        tenant_id = connected_tenant(s, runtime, emu, concurrency=10)
        key = api_keys.create(s, tenant_id, "events").secret
    return Org(runtime, emu, tenant_id, bearer(key), Clock())


@pytest.fixture
def api_org(org: Org) -> Iterator[TestClient]:
    with TestClient(create_app(org.rt), raise_server_exceptions=False) as client:
        yield client


def events(
    key: str, count: int, *, start: int = 0, type_: str = "balance.changed"
) -> list[dict[str, Any]]:
    return [
        {"key": key, "type": type_, "payload": {"seq": start + i, "key": key}} for i in range(count)
    ]


def integration_row(rt: Runtime, ref: str) -> Integration:
    with rt.db.begin() as s:
        found = s.get(Integration, ref)
        assert found is not None
        s.expunge(found)
        return found


Publish = Callable[[str, list[dict[str, Any]]], list[int]]
