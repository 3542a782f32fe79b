"""OpenTelemetry traces: a span per API request, per run (with its batches and bulk jobs) and
per Salesforce call, exported by OTLP/HTTP when `FORCEBRIDGE_OTEL_ENDPOINT` is set.

Off (the default), nothing of OpenTelemetry is imported and `span()` is a shared null context:
a run pays one attribute check per span site. A Salesforce call's span carries the method,
the path template, the status and Salesforce's error code; never a body, a query string or a
token (salesforce.calls makes sure of it before a listener hears of the call).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer, TracerProvider

    from forcebridge.salesforce import Call
    from forcebridge.settings import Settings

_NOTHING: AbstractContextManager[None] = nullcontext()
_state: dict[str, Any] = {"tracer": None, "endpoint": None, "provider": None}


def configure(settings: Settings) -> bool:
    """Export traces to `settings.otel_endpoint` (once per process); whether tracing is on."""
    endpoint = settings.otel_endpoint
    if not endpoint:
        return _state["tracer"] is not None
    if _state["endpoint"] == endpoint:
        return True
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = SdkProvider(resource=Resource.create({"service.name": settings.otel_service_name}))
    traces = endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces)))
    use(provider)
    _state["endpoint"] = endpoint
    return True


def flush(timeout_millis: int = 5000) -> bool:
    """Export the spans still buffered (a short-lived command before it exits; tests)."""
    provider = _state["provider"]
    return bool(provider.force_flush(timeout_millis)) if provider is not None else True


def use(provider: TracerProvider | None) -> None:
    """Trace through `provider` from now on (None: tracing off). Tests hand in an SDK provider
    with an in-memory exporter."""
    _state["tracer"] = None if provider is None else provider.get_tracer("forcebridge")
    _state["provider"] = provider if hasattr(provider, "force_flush") else None
    _state["endpoint"] = None


def enabled() -> bool:
    return _state["tracer"] is not None


def span(name: str, **attributes: Any) -> AbstractContextManager[Any]:
    """A span around a block, child of the current one; a null context when tracing is off."""
    tracer: Tracer | None = _state["tracer"]
    if tracer is None:
        return _NOTHING
    return _span(tracer, name, attributes)


@contextmanager
def _span(tracer: Tracer, name: str, attributes: dict[str, Any]) -> Iterator[Any]:
    clean = {k: v for k, v in attributes.items() if v is not None}
    with tracer.start_as_current_span(name, attributes=clean) as current:
        yield current


def record_call(call: Call, connection: str) -> None:
    """The span of one Salesforce call, after the fact, under the span current at its end."""
    tracer: Tracer | None = _state["tracer"]
    if tracer is None:
        return
    from opentelemetry.trace import SpanKind, Status, StatusCode

    attributes: dict[str, Any] = {
        "http.request.method": call.method,
        "url.template": call.path,
        "forcebridge.connection": connection,
    }
    if call.status is not None:
        attributes["http.response.status_code"] = call.status
    if call.error_code is not None:
        attributes["salesforce.error_code"] = call.error_code
    started = tracer.start_span(f"salesforce {call.method} {call.path}", kind=SpanKind.CLIENT,
                                start_time=call.started_ns, attributes=attributes)
    if call.error_code is not None:
        started.set_status(Status(StatusCode.ERROR, call.error_code))
    started.end(end_time=call.ended_ns)
