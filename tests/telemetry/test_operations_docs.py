"""docs/operations.md and the Grafana dashboard match what /metrics serves: every metric is
documented, and every query names only metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from forcebridge.api import create_app
from forcebridge.runtime import Runtime

DOCS = Path(__file__).resolve().parents[2] / "docs"
SUFFIXES = ("_bucket", "_sum", "_count", "_total")


def _served(rt: Runtime) -> set[str]:
    text = TestClient(create_app(rt)).get("/metrics").text
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name + ("_total" if family.type == "counter" else ""))
    # a counter with samples also shows its `_created` timestamp (prometheus_client's own)
    return {n for n in names if n.startswith("forcebridge_") and not n.endswith("_created")}


def _base(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_metric_is_documented_and_every_query_names_real_metrics(runtime: Runtime) -> None:
    served = _served(runtime)
    assert len(served) >= 20
    doc = (DOCS / "operations.md").read_text()
    documented = set(re.findall(r"^\| `(forcebridge_[a-z_]+)` \|", doc, re.MULTILINE))
    assert documented == served

    known = {_base(n) for n in served}
    dashboard = json.loads((DOCS / "grafana" / "forcebridge.json").read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(queries) >= 19
    rules = re.findall(r"expr: (.+)", doc)
    assert len(rules) >= 8
    for query in [*queries, *rules]:
        for name in re.findall(r"forcebridge_[a-z_]+", query):
            assert _base(name) in known, (name, query)
    covered = {_base(n) for q in queries for n in re.findall(r"forcebridge_[a-z_]+", q)}
    assert len(covered) >= 18  # the dashboard shows nearly every figure
