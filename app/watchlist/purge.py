"""A background thread that purges expired watchlist entries (hourly, and once at start)."""

from __future__ import annotations

import logging
import threading

from app.security.db import DbRunner
from app.watchlist.identities import purge_expired

log = logging.getLogger(__name__)


class ExpiryPurger:
    """``start()`` / ``stop(timeout)``; runs ``purge_expired`` through ``runner`` every ``interval_s``."""

    def __init__(self, runner: DbRunner, interval_s: float = 3600.0) -> None:
        self.runner, self.interval_s = runner, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.purged = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="watchlist-purge", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> int:
        ids = self.runner.run(purge_expired)
        if ids:
            log.info("purged %d expired watchlist entr%s: %s", len(ids), "y" if len(ids) == 1 else "ies", ids)
        self.purged += len(ids)
        return len(ids)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the store may be briefly unavailable; try again next time
                log.exception("watchlist expiry purge failed")
            self._stop.wait(self.interval_s)
