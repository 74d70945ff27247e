"""LatestSlot: a one-item buffer where ``put`` overwrites. Producers never block; stale items are dropped."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds only the newest item. ``dropped`` counts items overwritten before anyone took them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._version = 0
        self._taken_version = 0
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._cond:
            if self._item is not None and self._taken_version != self._version:
                self.dropped += 1
            self._item = item
            self._version += 1
            self._cond.notify_all()

    def peek(self) -> T | None:
        """The newest item without consuming it (the UI uses this: it may show a frame twice)."""
        with self._cond:
            return self._item

    @property
    def version(self) -> int:
        with self._cond:
            return self._version

    def take_newer(self, than_version: int, timeout: float | None = None) -> tuple[T | None, int]:
        """Wait up to ``timeout`` for an item newer than ``than_version``; return (item, version) or
        (None, than_version) on timeout. Marks the item as consumed (for the drop count)."""
        with self._cond:
            if self._version <= than_version and not self._cond.wait_for(
                lambda: self._version > than_version, timeout
            ):
                return None, than_version
            self._taken_version = self._version
            return self._item, self._version
