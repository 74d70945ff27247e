"""StationBridge: turns station listener calls (worker threads) into Qt signals on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.domain import CameraStatus, Event
from app.station_api import Station


class StationBridge(QObject):
    """Registers one listener on the station and re-emits what it hears; connections to GUI-thread
    receivers are queued automatically because the emit happens on the worker thread."""

    event_received = Signal(object)  # Event
    status_changed = Signal(object)  # CameraStatus

    def __init__(self, station: Station, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._alive = True
        station.add_listener(self._on_station_item)
        self.destroyed.connect(self._on_destroyed)

    def _on_station_item(self, item: Event | CameraStatus) -> None:
        if not self._alive:
            return
        try:
            if isinstance(item, Event):
                self.event_received.emit(item)
            elif isinstance(item, CameraStatus):
                self.status_changed.emit(item)
        except RuntimeError:  # the window is gone; the station outlives it during shutdown
            self._alive = False

    def _on_destroyed(self, *_: object) -> None:
        self._alive = False
