"""Figures only the process that made the calls knows: Salesforce calls and errors, how long
they took, and the concurrency slots in use now.

The store keeps no record of single calls, so these are counted in memory, per process: each
process that calls Salesforce (the server with its scheduler, a Celery worker, a CLI run)
counts its own, from zero at its start. Prometheus adds them up across the processes it
scrapes (`sum by (connection)`), and `rate()` copes with a restart's reset. A one-off CLI
run is not scraped: its calls show in the store figures (`forcebridge_run_api_calls_total`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from forcebridge.salesforce import Call, CallListener
from forcebridge.store.connections import Connection
from forcebridge.store.models import Tenant

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from forcebridge.runtime import Runtime

CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _Counters:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=False)
        labels = ["tenant", "connection"]
        self.calls = Counter(
            "forcebridge_salesforce_calls", "HTTP calls made to Salesforce by this process "
            "(every try, logins included).", [*labels, "method"], registry=self.registry)
        self.errors = Counter(
            "forcebridge_salesforce_errors", "Salesforce calls of this process that failed, "
            "by Salesforce's error code (TIMEOUT and CONNECTION_LOST when no answer came).",
            [*labels, "code"], registry=self.registry)
        self.seconds = Histogram(
            "forcebridge_salesforce_call_duration_seconds", "Time to a Salesforce answer's "
            "headers, in this process.", labels, buckets=CALL_BUCKETS, registry=self.registry)

    def observe(self, tenant: str, connection: str, call: Call) -> None:
        self.calls.labels(tenant, connection, call.method).inc()
        if call.error_code is not None:
            self.errors.labels(tenant, connection, call.error_code).inc()
        self.seconds.labels(tenant, connection).observe(call.seconds)


@cache
def counters() -> _Counters:
    """The process's counters, made on first use (prometheus_client loads only then)."""
    return _Counters()


def registry() -> CollectorRegistry:
    return counters().registry


def call_counter(tenant: str, connection: str) -> CallListener:
    """A listener counting the calls of one connection's client."""
    figures = counters()

    def on_call(call: Call) -> None:
        figures.observe(tenant, connection, call)

    return on_call


class SlotsCollector:
    """Concurrency slots in use now, per lending connection, in this process's pools."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        labels = ["tenant", "connection"]
        in_use = GaugeMetricFamily(
            "forcebridge_salesforce_concurrency_in_use",
            "Salesforce calls in flight now in this process, per connection that lends its "
            "pool (borrowers count on their lender).", labels=labels)
        limit = GaugeMetricFamily(
            "forcebridge_salesforce_concurrency_limit",
            "The connection's concurrency level (calls allowed in flight).", labels=labels)
        pools = dict(self.rt.pools.items()) if "pools" in self.rt.__dict__ else {}
        if pools:
            with self.rt.db.session() as session:
                rows = session.execute(
                    select(Connection.id, Tenant.name, Connection.name)
                    .join(Tenant, Tenant.id == Connection.tenant_id)
                    .where(Connection.id.in_(list(pools)))
                ).all()
            for conn_id, tenant, name in rows:
                pool = pools[conn_id]
                in_use.add_metric([tenant, name], float(pool.in_flight))
                limit.add_metric([tenant, name], float(pool.limit))
        yield in_use
        yield limit
