"""Process-wide: the cyclic garbage collector made rare while any run is in progress.

A run allocates millions of long-lived, acyclic objects (records held in batches and bulk
jobs); with the default thresholds the cyclic GC keeps re-scanning them in full collections,
CPU the run needs. This is a setting of the whole process, so it is counted across runs: the
first run to start changes it, the last one to end restores it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

GC_RUN_THRESHOLDS = (50_000, 50, 1_000)

_lock = threading.Lock()
_runs = 0  # runs in this process between cyclic_gc_paused's entry and exit
_saved: tuple[int, ...] = ()


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """While any run is in progress the objects alive at its start are frozen out of
    collection and collections are made rare (not disabled: cycles from exceptions and tasks
    are still freed); the last run to end restores both."""
    global _runs, _saved
    with _lock:
        _runs += 1
        if _runs == 1:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*GC_RUN_THRESHOLDS)
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()
