"""Integrations of the calling key's tenant: CRUD, connect and disconnect, enable and disable."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/integrations", tags=["integrations"])
