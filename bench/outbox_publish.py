"""Events per second delivered by the outbox to the emulator, 100 ms latency, concurrency 10.

Why: event publishing must keep up with a product's event rate while Salesforce answers slowly;
the ceiling is set by the connection's concurrency (10 calls in flight) and the events per call
(1 for Apex REST, up to 200 for platform events through sObject Collections). Each scenario
publishes events into the outbox (SQLite, timed separately), then runs `deliver_due` passes until
nothing is pending; the emulator runs under uvicorn on a real socket with fault `latency=100`.

    .venv/bin/python bench/outbox_publish.py [--scale 1.0] [--database-url URL]

Prints a table and writes bench/results/outbox_publish.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from forcebridge.outbox import delivery, publishing
from forcebridge.runtime import Runtime
from forcebridge.services import connections, integrations, tenants
from forcebridge.services.connections import ConnectionInput
from forcebridge.services.integrations import IntegrationInput
from forcebridge.settings import Settings
from forcebridge.store.outbox import OutboxMessage
from forcebridge_emulator import testing as emulator_testing

LATENCY_MS = 100
CONCURRENCY = 10
RESULTS = Path(__file__).resolve().parent / "results" / "outbox_publish.json"

# name, integration config, events, distinct keys
SCENARIOS: list[tuple[str, dict[str, Any], int, int]] = [
    ("apex, 1 event/call", {"target": "acme/events"}, 500, 500),
    ("apex, 1 event/call, 10 keys", {"target": "acme/events"}, 200, 10),
    ("apex list, 200/call", {"target": "acme/events", "apex_list": True}, 10_000, 10_000),
    (
        "platform event, 200/call",
        {"target": "Acme_Event__e", "type_field": "Kind__c", "payload_field": "Payload__c"},
        10_000,
        10_000,
    ),
    (
        "platform event, 100 keys",
        {"target": "Acme_Event__e", "type_field": "Kind__c", "payload_field": "Payload__c"},
        2_000,
        100,
    ),
]


@contextmanager
def emulator() -> Iterator[tuple[str, Any]]:
    with emulator_testing.on_socket(faults=f"latency={LATENCY_MS}") as org:
        yield org.base_url, org.app


def setup(rt: Runtime, base: str, app: Any) -> str:
    config = app.state.emulator.org.config
    user, connected_app = config.users[0], config.connected_apps[0]
    with rt.db.begin() as s:
        tenant = tenants.create(s, "bench")
        connections.create(
            s,
            rt.vault,
            tenant.id,
            ConnectionInput(
                name="emulator",
                environment="custom",
                login_url=base,
                auth_flow="password",
                consumer_key=connected_app.consumer_key,
                consumer_secret=connected_app.consumer_secret,
                username=user.username,
                password=user.password,
                security_token=user.security_token,
                concurrency=CONCURRENCY,
            ),
        )
        return tenant.id


def measure(
    rt: Runtime, tenant_id: str, app: Any, name: str, config: dict[str, Any], total: int, keys: int
) -> dict[str, Any]:
    emulator = app.state.emulator
    with rt.db.begin() as s:
        integration = integrations.create(
            s,
            rt.vault,
            tenant_id,
            IntegrationInput(name=name, kind="event_publish", connection="emulator", config=config),
        )
        integration_id = integration.id
    events = [
        {"key": f"key-{i % keys}", "type": "balance.changed", "payload": {"seq": i, "amount": 12.5}}
        for i in range(total)
    ]
    started = time.perf_counter()
    for start in range(0, total, publishing.MAX_EVENTS_PER_CALL):
        with rt.db.begin() as s:
            target = integrations.get(s, tenant_id, integration_id)
            publishing.publish(s, target, events[start : start + publishing.MAX_EVENTS_PER_CALL])
    publish_seconds = time.perf_counter() - started

    calls_before = emulator.usage.used
    started = time.perf_counter()
    delivered = 0
    while True:
        delivered += asyncio.run(delivery.deliver_due(rt))
        with rt.db.begin() as s:
            left = (
                s.query(OutboxMessage)
                .filter(
                    OutboxMessage.integration_id == integration_id,
                    OutboxMessage.status == "pending",
                )
                .count()
            )
        if not left:
            break
    seconds = time.perf_counter() - started
    per_call = 1 if config["target"] == "acme/events" and not config.get("apex_list") else 200
    ideal = CONCURRENCY * per_call / (LATENCY_MS / 1000)
    return {
        "scenario": name,
        "events": total,
        "keys": keys,
        "delivered": delivered,
        "api_calls": emulator.usage.used - calls_before,
        "seconds": round(seconds, 2),
        "events_per_second": round(delivered / seconds, 1),
        "ideal_events_per_second": round(ideal, 1),
        "publish_events_per_second": round(total / publish_seconds, 1),
    }


def run(scale: float, database_url: str | None) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, emulator() as (base, app):
        settings = Settings(
            data_dir=Path(tmp),
            database_url=database_url or f"sqlite:///{tmp}/bench.db",
            log_level="WARNING",
        )
        rt = Runtime(settings)
        rt.configure_logging()
        rt.migrate()
        tenant_id = setup(rt, base, app)
        for name, config, total, keys in SCENARIOS:
            n = max(int(total * scale), 1)
            rows.append(measure(rt, tenant_id, app, name, config, n, min(keys, n)))
        rt.close()
    return {
        "benchmark": "outbox_publish",
        "transport": "socket (uvicorn)",
        "latency_ms": LATENCY_MS,
        "concurrency": CONCURRENCY,
        "database": "sqlite" if not database_url else database_url.split(":", 1)[0],
        "python": platform.python_version(),
        "results": rows,
    }


def table(report: dict[str, Any]) -> str:
    lines = [
        f"outbox delivery to the emulator, latency {report['latency_ms']} ms, concurrency "
        f"{report['concurrency']}, {report['database']}",
        f"{'scenario':<30} {'events':>7} {'keys':>6} {'calls':>6} {'seconds':>8} "
        f"{'events/s':>9} {'ideal/s':>9} {'publish/s':>10}",
    ]
    for r in report["results"]:
        lines.append(
            f"{r['scenario']:<30} {r['events']:>7} {r['keys']:>6} {r['api_calls']:>6} "
            f"{r['seconds']:>8.2f} {r['events_per_second']:>9.1f} "
            f"{r['ideal_events_per_second']:>9.1f} {r['publish_events_per_second']:>10.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every event count")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    report = run(args.scale, args.database_url)
    print(table(report))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
