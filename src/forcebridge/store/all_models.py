"""Imports every module that defines tables, so metadata and migrations see them all."""

from forcebridge.store import connections, models  # noqa: F401
