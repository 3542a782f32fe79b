"""The dashboard: counts, then charts of API calls, records written, failures and the outbox.

The series come from `services.activity`; this page only shapes them into Chart.js
configurations, handed to the browser in `data-chart` attributes (no inline script).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from forcebridge.console import viewer as viewers
from forcebridge.console.rendering import render
from forcebridge.services import activity, connections, events, integrations
from forcebridge.store.types import utcnow

router = APIRouter()
COLORS = ["#0b5cab", "#2e844a", "#dd7a01", "#8a33d1", "#c23934", "#0f7b8a"]


def _bar(labels: list[str], datasets: list[dict[str, Any]], y_title: str, **y: Any) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "maintainAspectRatio": False,
            "animation": False,
            "scales": {"y": {"title": {"display": True, "text": y_title}, **y}},
        },
    }


def charts(data: activity.Activity, allocations: dict[str, int]) -> dict[str, dict[str, Any]]:
    labels = [d.isoformat() for d in data.days]
    calls: list[dict[str, Any]] = []
    for i, (name, per_day) in enumerate(sorted(data.api_calls.items())):
        color = COLORS[i % len(COLORS)]
        calls.append({"label": name, "data": [per_day.get(d, 0) for d in data.days],
                      "backgroundColor": color, "stack": "calls"})
        if name in allocations:
            calls.append({"type": "line", "label": f"{name}: daily allocation",
                          "data": [allocations[name]] * len(labels), "borderColor": color,
                          "borderDash": [6, 4], "pointRadius": 0, "fill": False})
    api = _bar(labels, calls, "API calls (log scale)", type="logarithmic", min=1)
    written = {
        "type": "line",
        "data": {
            "labels": [w["at"].strftime("%m-%d %H:%M UTC") for w in data.written],
            "datasets": [
                {"label": "records written", "data": [w["written"] for w in data.written],
                 "borderColor": COLORS[0], "backgroundColor": COLORS[0]},
                {"label": "records failed", "data": [w["failed"] for w in data.written],
                 "borderColor": COLORS[4], "backgroundColor": COLORS[4]},
            ],
        },
        "options": {"maintainAspectRatio": False, "animation": False,
                    "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": "records per run"}}}},
    }
    failures = _bar(labels, [{"label": "events (failures)", "backgroundColor": COLORS[4],
                              "data": [data.failures.get(d, 0) for d in data.days]}],
                    "events", beginAtZero=True)
    outbox = _bar(labels, [
        {"label": "delivered", "backgroundColor": COLORS[1], "data": [data.delivered.get(d, 0) for d in data.days]},
        {"label": "dead letters", "backgroundColor": COLORS[4], "data": [data.dead.get(d, 0) for d in data.days]},
    ], "messages", beginAtZero=True)
    return {"api": api, "written": written, "failures": failures, "outbox": outbox}


@router.get("/")
async def dashboard(request: Request) -> Response:
    who = viewers.current(request)
    rt = viewers.runtime(request)
    with rt.db.begin() as s:
        conns = connections.list_all(s, who.tenant_id)
        ints = integrations.list_all(s, who.tenant_id)
        counts = {
            "connections": len(conns),
            "authorized": sum(1 for c in conns if c.status == "authorized"),
            "integrations": len(ints),
            "enabled": sum(1 for i in ints if i.enabled),
            "open_events": len(events.list_events(s, who.tenant_id, status="open", limit=100).items),
        }
        data = activity.recent(s, who.tenant_id, now=utcnow())
    allocations = await activity.daily_allocations(rt, who.tenant_id) if counts["authorized"] else {}
    today = data.days[-1]
    used_today = {name: per_day.get(today, 0) for name, per_day in data.api_calls.items()}
    return render(
        request, "home.html", who, counts=counts, charts=charts(data, allocations),
        allocations=allocations, used_today=used_today, has_runs=bool(data.written),
    )
