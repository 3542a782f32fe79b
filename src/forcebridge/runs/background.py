"""Starting a run that goes on in the background, answering as soon as it holds its lock.

The API's `POST /integrations/{ref}/runs` and the console's **Run now** both use this, so a
refusal decided up front (already running, disabled, not connected) reaches the caller, and
a run that began is left to finish on the server's event loop.
"""

from __future__ import annotations

import asyncio

import anyio

from forcebridge import log
from forcebridge.errors import ForcebridgeError
from forcebridge.runs.engine import run_integration
from forcebridge.runtime import Runtime
from forcebridge.services import integrations

_logger = log.get("runs.background")

# Runs started in the background; a strong reference keeps a task from being collected.
_background: set[asyncio.Task[str]] = set()


class _Started:
    """A `RunProgress` that only notes that the run began (it holds the lock by then)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def started(self, total: int | None) -> None:
        self.event.set()

    def advance(self, read: int, counts: dict[str, int]) -> None:
        self.event.set()


def _finished(task: asyncio.Task[str]) -> None:
    _background.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    # a refusal (Conflict, NotFound) was the request's answer already; anything else is news
    if exc is not None and not isinstance(exc, ForcebridgeError):
        _logger.error("background run ended with an error", exc_info=exc)


def _running_run_id(rt: Runtime, tenant_id: str, ref: str) -> str | None:
    with rt.db.begin() as s:
        return integrations.get(s, tenant_id, ref).running_run_id


async def start_run(
    rt: Runtime, tenant_id: str, ref: str, *, trigger: str, full: bool = False,
    reconcile: bool = False,
) -> str:
    """Start a run in the background; the run's id once it began, or its refusal."""
    signal = _Started()
    task = asyncio.create_task(
        run_integration(rt, tenant_id, ref, trigger=trigger, progress=signal, full=full,
                        reconcile=reconcile)
    )
    _background.add(task)
    task.add_done_callback(_finished)
    began = asyncio.create_task(signal.event.wait())
    try:
        await asyncio.wait({task, began}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        began.cancel()
    if task.done():
        return task.result()  # the run's id, or the Conflict/NotFound it was refused with
    run_id = await anyio.to_thread.run_sync(_running_run_id, rt, tenant_id, ref)
    # the lock is ours once the run began; if it is already released the run has ended
    if run_id is None:
        run_id = await asyncio.shield(task)
    return run_id
