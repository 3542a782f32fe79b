"""`/metrics`: Prometheus' scrape target (docs/operations.md lists the figures).

Outside the OpenAPI document: it speaks Prometheus' text format, not JSON, and is guarded by
its own token (`FORCEBRIDGE_METRICS_TOKEN`), not by API keys, so a scraper holds no key
that could read or change data.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse, Response

from forcebridge.api.auth import runtime
from forcebridge.api.errors import error_body
from forcebridge.runtime import Runtime
from forcebridge.telemetry import exposition

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(
    rt: Runtime = Depends(runtime), authorization: str | None = Header(default=None)
) -> Response:
    if not exposition.allowed(rt, authorization):
        return JSONResponse(
            error_body("unauthorized", "the metrics token is missing or wrong",
                       [{"field": "Authorization",
                         "reason": "expected 'Bearer <FORCEBRIDGE_METRICS_TOKEN>'"}]),
            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    body, content_type = exposition.render(rt)
    return Response(body, media_type=content_type)
