"""Operations watched from the operator's own tools: Prometheus metrics and OpenTelemetry traces.

Public surface:

- `call_listener(tenant, connection)`: what a Salesforce client built for one connection hands
  every call to (salesforce.CallListener): it counts the call in this process's metrics.
- `exposition.render(rt)` / `exposition.allowed(rt, authorization)`: the `/metrics` page.

prometheus_client loads on first use, never when this package is imported, so the CLI stays
quick to start.
"""

from __future__ import annotations

from forcebridge.salesforce import Call, CallListener


def call_listener(tenant: str, connection: str) -> CallListener:
    """The listener for the calls of connection `connection` of tenant `tenant` (names)."""
    from forcebridge.telemetry import process_figures

    count = process_figures.call_counter(tenant, connection)

    def on_call(call: Call) -> None:
        count(call)

    return on_call


__all__ = ["call_listener"]
