"""Periodic background jobs of a running station: retention purge and watchlist expiry."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PeriodicTask:
    """Runs ``fn`` once at start and then every ``interval_s`` until stopped; failures are logged."""

    def __init__(self, name: str, fn: Callable[[], object], interval_s: float = 3600.0) -> None:
        self.name, self._fn, self.interval_s = name, fn, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> object:
        """Run the job once now, on the caller's thread (what the timer does every ``interval_s``)."""
        return self._fn()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._fn()
            except Exception:  # the store may be briefly unavailable: try again next time
                log.exception("%s failed", self.name)
            self._stop.wait(self.interval_s)
