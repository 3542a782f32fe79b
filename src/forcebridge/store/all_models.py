"""Imports every module that defines tables, so metadata and migrations see them all."""

from forcebridge.store import (  # noqa: F401
    alerts,
    api_clients,
    connections,
    console,
    data_sources,
    form_posts,
    integrations,
    models,
    outbox,
    runs,
    sync_state,
    write_intents,
)
