"""Liveness and readiness probes (no authentication)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from forcebridge.api.auth import runtime
from forcebridge.runtime import Runtime
from forcebridge.store import migrate

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """`ok` with the database's dialect and revision, or `unavailable` with the reason."""

    status: Literal["ok", "unavailable"]
    database: str | None = None
    revision: str | None = None
    reason: str | None = None


@router.get("/healthz", response_model=Health)
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz", response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: `reason` says why."}},
)
def readyz(rt: Runtime = Depends(runtime)) -> JSONResponse:
    """The database answers and is migrated to the head revision, and the broker answers when
    one is configured."""
    try:
        with rt.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = migrate.current_revision(rt.db)
    except Exception as exc:  # readiness reports, never raises
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, 503)
    if revision is None:
        return JSONResponse({"status": "unavailable", "reason": "database not migrated"}, 503)
    body = {"status": "ok", "database": rt.db.dialect, "revision": revision}
    if rt.settings.broker_url:
        from forcebridge.scheduling.broker import broker_problem

        problem = broker_problem(rt.settings.broker_url)
        if problem is not None:
            return JSONResponse({"status": "unavailable", "reason": problem}, 503)
        body["broker"] = "ok"
    return JSONResponse(body)
