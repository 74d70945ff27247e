"""The one GUI-thread timer that drives every tile of every wall window."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer


class DisplayClock(QObject):
    """Calls each registered refresher (a grid's ``refresh``) ``hz`` times a second on the GUI thread."""

    def __init__(self, hz: float = 30.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._refreshers: list[Callable[[float], int]] = []
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, round(1000.0 / hz)))
        self._timer.timeout.connect(self._on_timer_timeout)

    def register(self, refresher: Callable[[float], int]) -> None:
        if refresher not in self._refreshers:
            self._refreshers.append(refresher)

    def unregister(self, refresher: Callable[[float], int]) -> None:
        if refresher in self._refreshers:
            self._refreshers.remove(refresher)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def tick(self) -> int:
        """One refresh round now; returns how many tiles had something new (tests call it directly)."""
        now = time.monotonic()
        return sum(refresh(now) for refresh in list(self._refreshers))

    def _on_timer_timeout(self) -> None:
        self.tick()
