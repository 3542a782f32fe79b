"""A run's source is read in one thread of its own while the event loop writes.

Sources block (a database cursor, a file) and some are bound to the thread that opened them
(SQLite), so every step of a run's reading goes to the same single worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class Reader:
    """Runs a generator's steps in one dedicated thread."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fb-run-source")

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def next(self, items: Iterator[T]) -> T | None:
        return await self.call(next, items, None)

    def close(self, items: Iterator[Any] | None) -> None:
        closer = getattr(items, "close", None)
        if closer is not None:
            self.pool.submit(closer)
        self.pool.shutdown(wait=False)
