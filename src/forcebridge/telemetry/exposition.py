"""The `/metrics` answer: store figures, this process's counters and its concurrency slots, in
Prometheus' text format (prometheus_client renders it)."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from forcebridge.telemetry import process_figures
from forcebridge.telemetry.store_figures import StoreCollector

if TYPE_CHECKING:
    from forcebridge.runtime import Runtime


class _Scrape:
    """Everything one scrape reports, as one collector for `generate_latest`."""

    def __init__(self, rt: Runtime) -> None:
        self.parts: list[Any] = [
            StoreCollector(rt.db),
            process_figures.registry(),
            process_figures.SlotsCollector(rt),
        ]

    def collect(self) -> Iterator[Any]:
        for part in self.parts:
            yield from part.collect()


def render(rt: Runtime) -> tuple[bytes, str]:
    """The metrics page and its content type. Blocks on the database: call it from a thread."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(_Scrape(rt)), CONTENT_TYPE_LATEST


class _ProcessScrape(_Scrape):
    """A worker's page: only what this process alone knows. The store figures stay with
    `serve`'s /metrics, so summing every target never counts a run twice."""

    def __init__(self, rt: Runtime) -> None:
        self.parts = [process_figures.registry(), process_figures.SlotsCollector(rt)]


def serve_process_figures(rt: Runtime, port: int) -> None:
    """Serve this process's figures at `http://<bind_host>:<port>/metrics` from a daemon
    thread, for a worker, which has no web server of its own to put them on."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessScrape(rt))
    start_http_server(port, addr=rt.settings.bind_host, registry=registry)


def allowed(rt: Runtime, authorization: str | None) -> bool:
    """Whether a scrape with this Authorization header may read the metrics: always when no
    token is configured, else only with `Bearer <token>`."""
    token = rt.settings.metrics_token
    if token is None:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.get_secret_value().encode())
