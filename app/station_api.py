"""What the UI (and the headless runner) see of a running station.

``app/bootstrap.py`` builds the real station (capture threads + analysis worker + store writer) behind
these Protocols; widgets depend only on this module and ``app.domain``/``app.config``.
Listeners are called from worker threads: a Qt view must re-emit through a signal (queued connection).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from app.capture.slot import LatestSlot
from app.config import CameraConfig, StationConfig
from app.domain import CameraStatus, CaptureStats, Event, Frame, FrameResult

StationListener = Callable[[Event | CameraStatus], None]


class CameraFeed(Protocol):
    """One camera's live state: newest frame, newest analysis result, health and counters."""

    @property
    def camera(self) -> CameraConfig: ...

    @property
    def frames(self) -> LatestSlot[Frame]: ...

    @property
    def results(self) -> LatestSlot[FrameResult]: ...

    def status(self) -> CameraStatus: ...

    def stats(self) -> CaptureStats: ...


class Station(Protocol):
    """A running station."""

    def config(self) -> StationConfig: ...

    def feeds(self) -> Mapping[str, CameraFeed]: ...

    def add_listener(self, listener: StationListener) -> None: ...

    def apply_config(self, config: StationConfig) -> None:
        """Start, stop or restart cameras so that the running set matches ``config``."""
        ...

    def analysed_fps(self) -> float:
        """Frames analysed per second, summed over cameras, over the last few seconds."""
        ...

    def db_path(self) -> str: ...

    def set_stream_preference(self, camera_id: str, main: bool) -> None:
        """The UI shows this camera large (``main=True``: maximised tile) or small. A camera with a
        ``sub_source`` then reads the main stream only while shown large; others ignore this."""
        ...

    def acknowledge_event(self, event_id: int, by: str) -> None:
        """Operator ``by`` acknowledged stored event ``event_id``: record it (store + audit log)."""
        ...

    def stop(self, timeout: float = 5.0) -> None: ...
