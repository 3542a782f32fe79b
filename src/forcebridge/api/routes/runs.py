"""Runs of an integration: start one, plan one, list them, and records pushed to a push source."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["runs"])
