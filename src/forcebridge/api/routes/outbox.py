"""Event publishing: the product hands events over; the outbox shows their delivery."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["outbox"])
