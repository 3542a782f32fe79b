"""The REST API under /api/v1: a thin face over the service layer."""

from forcebridge.api.app import create_app

__all__ = ["create_app"]
