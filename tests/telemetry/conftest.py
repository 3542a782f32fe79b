"""Scraping /metrics as Prometheus does, and the worlds of other suites the figures come from
(entity syncs into the emulated org, event integrations, inbound forms)."""

from __future__ import annotations

from collections import defaultdict

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from forcebridge.api import create_app
from forcebridge.runtime import Runtime
from tests.forms.conftest import forms  # noqa: F401
from tests.outbox.conftest import org  # noqa: F401
from tests.runs.conftest import world  # noqa: F401

Samples = dict[str, dict[frozenset[tuple[str, str]], float]]


def scrape(rt: Runtime, headers: dict[str, str] | None = None) -> Samples:
    """GET /metrics from a fresh app over `rt`, parsed: sample name -> labels -> value."""
    response = TestClient(create_app(rt)).get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = defaultdict(dict)
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[sample.name][frozenset(sample.labels.items())] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample `name` with exactly `labels` (0 when absent)."""
    return samples.get(name, {}).get(frozenset(labels.items()), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for k, v in samples.get(name, {}).items() if wanted <= set(k))
