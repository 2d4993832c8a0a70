"""The collector settings `sipwarden run` applies once started (server/gctune.py)."""

from __future__ import annotations

import gc

from sipwarden.server.gctune import THRESHOLDS, tune_gc


def test_tune_gc_freezes_start_up_objects_and_raises_the_thresholds() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert THRESHOLDS[0] > before[0]  # the young generation is collected less often
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
