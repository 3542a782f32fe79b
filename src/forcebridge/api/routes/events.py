"""Events: every failure kept until resolved, listed, shown, resolved and retried."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/events", tags=["events"])
