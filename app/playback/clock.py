"""SyncClock: the one playback clock that every camera of a layout follows (position in UTC epoch seconds).

The position moves with ``time.monotonic()`` times the speed while playing; a negative speed plays backwards.
Each seek or jump bumps ``epoch`` so decoders know the position jumped rather than moved on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True, slots=True)
class ClockState:
    position: float  # UTC epoch seconds
    speed: float  # negative: backwards
    playing: bool
    epoch: int  # bumped by every seek


class SyncClock:
    """Thread-safe: the GUI sets it, decoder threads read it."""

    def __init__(self, position: float = 0.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._mono = monotonic
        self._lock = threading.Lock()
        self._anchor_pos = position
        self._anchor_mono = monotonic()
        self._speed = 1.0
        self._playing = False
        self._epoch = 0
        self._bounds: tuple[float, float] | None = None

    def _pos(self) -> float:
        pos = self._anchor_pos
        if self._playing:
            pos += (self._mono() - self._anchor_mono) * self._speed
        if self._bounds is not None:
            pos = min(max(pos, self._bounds[0]), self._bounds[1])
        return pos

    def _rebase(self) -> None:
        self._anchor_pos, self._anchor_mono = self._pos(), self._mono()

    def state(self) -> ClockState:
        with self._lock:
            return ClockState(self._pos(), self._speed, self._playing, self._epoch)

    def position(self) -> float:
        with self._lock:
            return self._pos()

    def set_bounds(self, start: float, end: float) -> None:
        """Playing stops moving past these (the end of what was recorded, 'now')."""
        with self._lock:
            self._rebase()
            self._bounds = (start, end)

    def play(self, speed: float | None = None) -> None:
        with self._lock:
            self._rebase()
            if speed is not None:
                self._speed = float(speed)
            self._playing = True

    def pause(self) -> None:
        with self._lock:
            self._rebase()
            self._playing = False

    def set_speed(self, speed: float) -> None:
        with self._lock:
            self._rebase()
            self._speed = float(speed)

    def seek(self, position: float) -> None:
        with self._lock:
            self._anchor_pos, self._anchor_mono = float(position), self._mono()
            if self._bounds is not None:
                self._anchor_pos = min(max(self._anchor_pos, self._bounds[0]), self._bounds[1])
            self._epoch += 1

    def jump(self, seconds: float) -> None:
        with self._lock:
            pos = self._pos() + seconds
        self.seek(pos)


def next_speed(speed: float, faster: bool) -> float:
    """The next step of SPEEDS (keeping the direction)."""
    sign = -1.0 if speed < 0 else 1.0
    mag = abs(speed)
    if faster:
        bigger = [s for s in SPEEDS if s > mag + 1e-9]
        return sign * (bigger[0] if bigger else SPEEDS[-1])
    smaller = [s for s in SPEEDS if s < mag - 1e-9]
    return sign * (smaller[-1] if smaller else SPEEDS[0])
