"""SegmentReader: decodes one recorded segment from any moment in it.

A seek goes to the key frame at or before the asked frame and decodes forward from there (OpenCV's FFmpeg
backend does exactly that for ``CAP_PROP_POS_FRAMES``), so a seek costs at most one GOP of decoding. The
frames decoded on the way are kept (a bounded window) so stepping and playing backwards reuse them: reverse
play decodes one window forward and shows it backwards. At 8x and faster (either way) it shows key frames only
(``key_frame_at``): each decodes on its own, so a long GOP costs no more than a short one.
"""

from __future__ import annotations

import bisect
import logging
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.clips.ffmpeg import FfmpegMissingError, find_ffmpeg
from app.clips.index import Segment
from app.clips.mp4 import mp4_damage
from app.playback.keyframes import decode_key_frames, key_frame_indices

log = logging.getLogger("vigil.playback")
WINDOW_BYTES = 96_000_000  # decoded frames kept per camera for stepping and reverse play
REVERSE_WINDOW_S = 1.0  # one GOP of a typical recording (the recorder writes a key frame a second)
KEY_FRAME_SPEED = 8.0  # from this speed on (either way) playback shows key frames only
KEY_BATCH = 8  # key frames decoded per ffmpeg run in key-frame mode


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """One decoded frame of a recording; ``at`` is its UTC time (segment start + index / fps)."""

    camera_id: str
    at: float
    index: int
    image: np.ndarray
    segment_id: int | None


class DamagedRecordingError(OSError):
    """A segment that cannot be played (truncated, garbled); the message says why in a few words."""


class SegmentReader:
    """Reads ``segment`` (in ``recordings_dir``); not thread-safe: one decoder thread owns it."""

    def __init__(self, segment: Segment, recordings_dir: Path) -> None:
        self.segment = segment
        self.path = recordings_dir / segment.path
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            self._cap.release()
            if not self.path.is_file():
                raise OSError(f"recording {segment.path} is missing")
            raise DamagedRecordingError(mp4_damage(self.path) or "cannot be opened")
        fps = segment.fps or float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if fps > 0 else 15.0
        frames = segment.frames or int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frames = max(1, frames)
        self._next = 0  # index of the frame the next read() returns
        self._window: deque[DecodedFrame] = deque()
        self._window_bytes = 0
        self._keys: list[int] | None | bool = False  # False: not read yet; None: no index (decode all)
        self._key_cache: dict[int, DecodedFrame] = {}
        self._size = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))

    def close(self) -> None:
        self._cap.release()
        self._window.clear()
        self._key_cache.clear()

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

    def key_frames(self) -> list[int] | None:
        """The segment's key frame indices (read once from the MP4 index); None when it has none."""
        if self._keys is False:
            self._keys = key_frame_indices(self.path)
        return self._keys if isinstance(self._keys, list) else None

    def key_frame_at(self, at: float, backwards: bool) -> DecodedFrame | None:
        """The key frame at or before ``at`` (fast playback). On a miss one ffmpeg run decodes the next
        ``KEY_BATCH`` key frames in the playing direction. Falls back to full decoding without an index or
        without ffmpeg."""
        keys = self.key_frames()
        if not keys:
            return self.frame_before(at) if backwards else self.frame_at(at)
        want = self.index_at(at)
        pos = max(0, bisect.bisect_right(keys, want) - 1)
        hit = self._key_cache.get(keys[pos])
        if hit is not None:
            return hit
        try:
            ffmpeg = find_ffmpeg()
        except FfmpegMissingError:
            self._keys = None
            return self.frame_before(at) if backwards else self.frame_at(at)
        first = max(0, pos - KEY_BATCH + 1) if backwards else pos
        batch = keys[first : first + KEY_BATCH]
        images = decode_key_frames(ffmpeg, self.path, (batch[0] + 0.5) / self.fps, len(batch), self._size)
        if not images:  # ffmpeg could not do it (an old build, a file it reads differently): decode every frame
            log.warning("key frames of %s could not be decoded; decoding every frame instead", self.path.name)
            self._keys = None
            return self.frame_before(at) if backwards else self.frame_at(at)
        nbytes = sum(f.image.nbytes for f in self._key_cache.values())
        if nbytes + sum(i.nbytes for i in images) > WINDOW_BYTES:
            self._key_cache.clear()
        for index, image in zip(batch, images, strict=False):
            self._key_cache[index] = DecodedFrame(
                self.segment.camera_id, self.time_of(index), index, image, self.segment.id
            )
        return self._key_cache.get(keys[pos]) or self._key_cache.get(batch[len(images) - 1])

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
