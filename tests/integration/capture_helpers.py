"""Helpers for the capture tests: wait for a condition, record status changes, catch thread exceptions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.domain import CameraStatus, Health


def wait_for(cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll ``cond`` until true; fail (not a timing assert: the timeout is only a safety net)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


class StatusLog:
    """An ``on_status`` callback that keeps every status it was given."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[CameraStatus] = []

    def __call__(self, status: CameraStatus) -> None:
        with self._lock:
            self.items.append(status)

    def healths(self) -> list[Health]:
        with self._lock:
            return [s.health for s in self.items]

    def messages(self) -> list[str]:
        with self._lock:
            return [s.message for s in self.items]

    def saw(self, *sequence: Health) -> bool:
        """True if ``sequence`` occurs in order (not necessarily adjacent)."""
        it = iter(self.healths())
        return all(any(h is want for h in it) for want in sequence)
