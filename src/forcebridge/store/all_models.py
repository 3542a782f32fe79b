"""Imports every module that defines tables, so metadata and migrations see them all."""

from forcebridge.store import api_clients, connections, models  # noqa: F401
