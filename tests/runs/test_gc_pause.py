"""Runs make cyclic GC rare while they go and restore it when the last one ends."""

from __future__ import annotations

import gc

from forcebridge.runs.gc_pause import GC_RUN_THRESHOLDS, cyclic_gc_paused


def test_thresholds_restored_after_nested_runs() -> None:
    before = gc.get_threshold()
    with cyclic_gc_paused():
        assert gc.get_threshold() == GC_RUN_THRESHOLDS
        assert gc.get_freeze_count() > 0
        with cyclic_gc_paused():
            assert gc.get_threshold() == GC_RUN_THRESHOLDS
        assert gc.get_threshold() == GC_RUN_THRESHOLDS  # the outer run is still going
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_restored_when_the_run_fails() -> None:
    before = gc.get_threshold()
    try:
        with cyclic_gc_paused():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
