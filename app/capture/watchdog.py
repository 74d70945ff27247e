"""One shared thread that marks captures STALLED: a capture thread blocked in ``read()`` cannot do it."""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol


class Watched(Protocol):
    def check_stall(self, now: float) -> None: ...


class StallWatch:
    """Polls registered captures a few times a second; its thread exists only while captures do."""

    def __init__(self, period_s: float = 0.25) -> None:
        self.period_s = period_s
        self._lock = threading.Lock()
        self._items: set[Watched] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def add(self, item: Watched) -> None:
        with self._lock:
            self._items.add(item)
            if self._thread is None:
                self._wake = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._wake,), name="capture-watchdog", daemon=True
                )
                self._thread.start()

    def discard(self, item: Watched) -> None:
        with self._lock:
            self._items.discard(item)
            if not self._items and self._thread is not None:
                self._wake.set()  # let the thread end now rather than at its next poll
                self._thread = None

    def _run(self, wake: threading.Event) -> None:
        while not wake.wait(self.period_s):
            with self._lock:
                items = list(self._items)
            now = time.monotonic()
            for item in items:
                try:
                    item.check_stall(now)
                except Exception:  # never let one camera end the watch for all
                    logging.getLogger("vigil.capture").exception("stall check failed")


stall_watch = StallWatch()
