"""Operations watched from the operator's own tools: Prometheus metrics and OpenTelemetry traces.

`call_listener` is what a Salesforce client built for one connection hands every call to: it
counts the call in this process's metrics and, when tracing is on, gives it a span.
`exposition` renders the `/metrics` page and says who may read it; `tracing` sets up
OpenTelemetry spans, exported by OTLP when `FORCEBRIDGE_OTEL_ENDPOINT` is set.

prometheus_client and OpenTelemetry load on first use, never when this package is imported,
so the CLI stays quick to start; OpenTelemetry loads only when tracing is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forcebridge.telemetry import tracing

if TYPE_CHECKING:
    from forcebridge.salesforce import Call, CallListener


def call_listener(tenant: str, connection: str) -> CallListener:
    """The listener for the calls of connection `connection` of tenant `tenant` (names): it
    counts each call and, when tracing is on, gives it a span."""
    from forcebridge.telemetry import process_figures

    count = process_figures.call_counter(tenant, connection)

    def on_call(call: Call) -> None:
        count(call)
        tracing.record_call(call, connection)

    return on_call


__all__ = ["call_listener", "tracing"]
