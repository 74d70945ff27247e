"""SegmentReader: decodes one recorded segment from any moment in it.

A seek goes to the key frame at or before the asked frame and decodes forward from there (OpenCV's FFmpeg
backend does exactly that for ``CAP_PROP_POS_FRAMES``), so a seek costs at most one GOP of decoding. The
frames decoded on the way are kept (a bounded window) so stepping and playing backwards reuse them: reverse
play decodes one window forward and shows it backwards.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.clips.index import Segment

WINDOW_BYTES = 96_000_000  # decoded frames kept per camera for stepping and reverse play
REVERSE_WINDOW_S = 1.0  # one GOP of a typical recording (the recorder writes a key frame a second)


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """One decoded frame of a recording; ``at`` is its UTC time (segment start + index / fps)."""

    camera_id: str
    at: float
    index: int
    image: np.ndarray
    segment_id: int | None


class SegmentReader:
    """Reads ``segment`` (in ``recordings_dir``); not thread-safe: one decoder thread owns it."""

    def __init__(self, segment: Segment, recordings_dir: Path) -> None:
        self.segment = segment
        self.path = recordings_dir / segment.path
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            raise OSError(f"cannot open recording {self.path}")
        fps = segment.fps or float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if fps > 0 else 15.0
        frames = segment.frames or int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frames = max(1, frames)
        self._next = 0  # index of the frame the next read() returns
        self._window: deque[DecodedFrame] = deque()
        self._window_bytes = 0

    def close(self) -> None:
        self._cap.release()
        self._window.clear()

    @property
    def period(self) -> float:
        return 1.0 / self.fps

    def index_at(self, at: float) -> int:
        """The frame shown at UTC ``at``: the last one that started at or before it."""
        i = int(np.floor((at - self.segment.start) * self.fps + 1e-6))
        return min(max(i, 0), self.frames - 1)

    def time_of(self, index: int) -> float:
        return self.segment.start + index / self.fps

    def cached(self, index: int) -> DecodedFrame | None:
        idx = [f.index for f in self._window]
        pos = bisect.bisect_left(idx, index)
        if pos < len(idx) and idx[pos] == index:
            return self._window[pos]
        return None

    def frame_at(self, at: float) -> DecodedFrame | None:
        """The frame shown at ``at``: from the window, by reading on (when it is a few frames ahead), or by
        a key-frame seek and decoding forward. None past the end of a damaged file."""
        want = self.index_at(at)
        hit = self.cached(want)
        if hit is not None:
            return hit
        if not (self._next <= want <= self._next + int(self.fps * 2)):
            self._seek(want)
        last: DecodedFrame | None = None
        while self._next <= want:
            f = self._read()
            if f is None:
                return last
            last = f
        return last

    def frame_before(self, at: float, window_s: float = REVERSE_WINDOW_S) -> DecodedFrame | None:
        """Like ``frame_at`` for reverse play: on a miss, decode the window of ``window_s`` before ``at``
        forward (one seek) so the frames before it are ready too."""
        want = self.index_at(at)
        hit = self.cached(want)
        if hit is not None:
            return hit
        first = max(0, want - max(1, int(window_s * self.fps)))
        self._seek(first)
        last = None
        while self._next <= want:
            f = self._read()
            if f is None:
                break
            last = f
        return self.cached(want) or last

    def _seek(self, index: int) -> None:
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, float(index))
        self._next = index
        self._window.clear()
        self._window_bytes = 0

    def _read(self) -> DecodedFrame | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            self._next = self.frames  # end (or damage): nothing more here
            return None
        f = DecodedFrame(self.segment.camera_id, self.time_of(self._next), self._next, image, self.segment.id)
        self._next += 1
        self._window.append(f)
        self._window_bytes += image.nbytes
        while self._window_bytes > WINDOW_BYTES and len(self._window) > 2:
            self._window_bytes -= self._window.popleft().image.nbytes
        return f
