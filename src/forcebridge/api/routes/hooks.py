"""Inbound-form hooks: POST /hooks/{hook_id} turns a form post into a Salesforce record."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["hooks"])
