"""``LiveTicker``: every few seconds, tell the store which cameras are still live (``LiveTick``).

Wiring (bootstrap): ``ticker = LiveTicker(writer.submit)``; ``station.add_listener(ticker.on_item)``;
``ticker.start()``; on shutdown ``ticker.stop()`` *before* ``writer.stop()`` so the last seconds are
credited. Without it, live time is still credited when a camera's health changes, but the current minute
stays empty until then and a crash loses the whole open interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.domain import CameraStatus, Event, Health
from app.store.records import LiveTick

TICK_INTERVAL_S = 10.0


class LiveTicker:
    """Follows camera health from station listener calls; submits one ``LiveTick`` per live camera per tick."""

    def __init__(
        self,
        submit: Callable[[LiveTick], None],
        interval_s: float = TICK_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._submit = submit
        self._interval = max(0.05, float(interval_s))
        self._clock = clock
        self._live: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_item(self, item: Event | CameraStatus) -> None:
        """Station listener: remembers which cameras are live (called on worker threads)."""
        if not isinstance(item, CameraStatus):
            return
        with self._lock:
            was = item.camera_id in self._live
            if item.health is Health.LIVE:
                self._live.add(item.camera_id)
            else:
                self._live.discard(item.camera_id)
        if was and item.health is Health.STOPPED:
            # STOPPED is not stored: credit the live time up to the stop now
            self._submit(LiveTick(item.camera_id, item.at))

    def live_cameras(self) -> list[str]:
        with self._lock:
            return sorted(self._live)

    def tick(self) -> None:
        now = self._clock()
        for cam in self.live_cameras():
            self._submit(LiveTick(cam, now))

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("LiveTicker already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="live-ticker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop ticking; one last tick credits the live time up to now."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
        self.tick()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.tick()
