"""Liveness and readiness probes (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from forcebridge.api.auth import runtime
from forcebridge.runtime import Runtime
from forcebridge.store import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(rt: Runtime = Depends(runtime)) -> JSONResponse:
    """The database answers and is migrated to the head revision."""
    try:
        with rt.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = migrate.current_revision(rt.db)
    except Exception as exc:  # readiness reports, never raises
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, 503)
    if revision is None:
        return JSONResponse({"status": "unavailable", "reason": "database not migrated"}, 503)
    return JSONResponse({"status": "ok", "database": rt.db.dialect, "revision": revision})
