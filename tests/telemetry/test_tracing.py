"""Traces with the SDK's in-memory exporter: a run's span holds its batches, its bulk job and
every Salesforce call it made (method, path template, status, error code, nothing else); an
API request's span is named by its route; tracing off loads no OpenTelemetry SDK; on, spans reach
an OTLP endpoint."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from forcebridge.api import create_app
from forcebridge.runs import run_integration
from forcebridge.services import api_keys
from forcebridge.settings import Settings
from forcebridge.telemetry import tracing
from tests.alerts.receiver import receiver
from tests.conftest import bearer
from tests.runs.conftest import World, invoice_rows, write_csv


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    yield exporter
    tracing.use(None)


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        found = by_id[parent.span_id]
        names.append(found.name)
        parent = found.parent
    return names


def _attribute_values(finished: tuple[ReadableSpan, ...]) -> list[str]:
    return [str(v) for s in finished for v in (s.attributes or {}).values()]


@pytest.mark.anyio
async def test_a_run_traces_its_batches_bulk_job_and_every_call(
    world: World, spans: InMemorySpanExporter,
) -> None:
    world.rt.settings.run_bulk_poll_seconds = 0.01
    write_csv(world.files / "invoices.csv", invoice_rows(40))
    iid = world.integration(bulk_threshold=20, batch_size=25)
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    assert (run.status, run.created) == ("succeeded", 40)

    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    [root] = [s for s in finished if s.name == "run"]
    assert (root.attributes or {})["forcebridge.run_id"] == run.id
    batches = [s for s in finished if s.name == "run batch"]
    assert [(s.attributes or {})["forcebridge.batch.records"] for s in batches] == [25, 15]
    assert all(_ancestors(s, by_id)[-1] == "run" for s in batches)
    [bulk] = [s for s in finished if s.name == "bulk job"]
    assert (bulk.attributes or {})["forcebridge.bulk.records"] == 40
    assert (bulk.attributes or {})["forcebridge.bulk.created"] == 40
    assert "run" in _ancestors(bulk, by_id)

    calls = [s for s in finished if s.name.startswith("salesforce ")]
    assert len(calls) == run.api_calls
    assert all(c.context.trace_id == root.context.trace_id for c in calls)
    assert all("run" in _ancestors(c, by_id) for c in calls)
    templates = {(c.attributes or {})["url.template"] for c in calls}
    assert "/services/data/v{version}/jobs/ingest" in templates
    assert "/services/data/v{version}/jobs/ingest/{id}/batches" in templates
    assert "/services/oauth2/token" in templates
    ingest = next(c for c in calls if c.name.endswith("/jobs/ingest"))
    assert (ingest.attributes or {})["http.request.method"] == "POST"
    assert (ingest.attributes or {})["http.response.status_code"] == 200
    assert (ingest.attributes or {})["forcebridge.connection"] == "org"
    words = " ".join(_attribute_values(finished))
    for secret in ("INV-", "Bearer", world.emu.org.config.users[0].password, "SELECT"):
        assert secret not in words


@pytest.mark.anyio
async def test_a_failing_call_carries_its_error_code(
    world: World, spans: InMemorySpanExporter,
) -> None:
    write_csv(world.files / "invoices.csv", invoice_rows(2))
    iid = world.integration()
    world.emu.faults("error503=1")
    run = world.run(await run_integration(world.rt, world.tenant_id, iid))
    world.emu.faults("none")
    assert run.status == "failed"
    failed = [s for s in spans.get_finished_spans()
              if (s.attributes or {}).get("salesforce.error_code") == "SERVER_UNAVAILABLE"]
    assert failed and all(s.status.status_code is StatusCode.ERROR for s in failed)
    assert all((s.attributes or {})["http.response.status_code"] == 503 for s in failed)


def test_an_api_request_is_a_span_named_by_its_route(
    world: World, spans: InMemorySpanExporter,
) -> None:
    with world.rt.db.begin() as s:
        key = api_keys.create(s, world.tenant_id, "ops").secret
    iid = world.integration()
    answer = TestClient(create_app(world.rt)).get(f"/api/v1/integrations/{iid}",
                                                  headers=bearer(key))
    assert answer.status_code == 200
    [span] = [s for s in spans.get_finished_spans() if s.name.startswith("GET ")]
    attributes: dict[str, Any] = dict(span.attributes or {})
    assert span.name == "GET /api/v1/integrations/{ref}"
    assert attributes["http.route"] == "/api/v1/integrations/{ref}"
    assert attributes["http.response.status_code"] == 200
    assert attributes["forcebridge.request_id"] == answer.headers["x-request-id"]
    assert iid not in span.name and key not in str(attributes)


def test_tracing_off_loads_no_opentelemetry_sdk(tmp_path: Any) -> None:
    # (FastAPI itself imports the OpenTelemetry *API* when it is installed: a no-op facade)
    probe = (
        "import sys\n"
        "from forcebridge.api import create_app\n"
        "from forcebridge.runtime import Runtime\n"
        "from forcebridge.settings import Settings\n"
        f"create_app(Runtime(Settings(data_dir={str(tmp_path)!r})))\n"
        "print(any(m.startswith(('opentelemetry.sdk', 'opentelemetry.exporter'))\n"
        "          for m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_spans_are_exported_by_otlp_when_an_endpoint_is_set() -> None:
    with receiver("/v1/traces") as collector:
        endpoint = collector.url.removesuffix("/v1/traces")
        try:
            assert tracing.configure(Settings(otel_endpoint=endpoint, otel_service_name="fb-test"))
            with tracing.span("probe", **{"forcebridge.run_id": "r1"}):
                pass
            assert tracing.flush()
        finally:
            tracing.use(None)
    [export] = collector.received
    assert export.path == "/v1/traces"
    assert export.headers["content-type"] == "application/x-protobuf"
    assert b"probe" in export.raw and b"fb-test" in export.raw
