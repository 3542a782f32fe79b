"""Running the scheduler inside the API process, for as long as the app is served.

`forcebridge serve` is one process by default: uvicorn serves the API, and the scheduler is an
asyncio task in the same event loop, started and stopped by the app's lifespan. No threads to
coordinate and no second process to deploy; database work of a pass goes to a worker thread
so requests are not held up by it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from forcebridge.runtime import Runtime
from forcebridge.scheduling.scheduler import Scheduler


def attach(app: FastAPI, rt: Runtime) -> Scheduler:
    """Make `app` run a scheduler while it serves (around any lifespan it already has)."""
    scheduler = Scheduler(rt)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[Any]:
        async with inner(served) as state:
            scheduler.start()
            try:
                yield state
            finally:
                await scheduler.stop()

    app.router.lifespan_context = lifespan
    app.state.scheduler = scheduler
    return scheduler
