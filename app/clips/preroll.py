"""Always-on pre-roll: the last seconds of every camera as JPEGs in memory, and event clips cut from them.

``PrerollBuffer`` is bounded by time *and* bytes. ``EventClipper`` feeds one buffer per camera from the
capture slots and, for each event, writes ``<name>_clip.mp4`` from ``at - pre_s`` to ``at + post_s`` once
the post-roll has been captured.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.clips.encoder import open_encoder
from app.clips.naming import safe_component
from app.clips.recorder import FrameFeed
from app.domain import Frame

log = logging.getLogger("vigil.clips")


@dataclass(frozen=True, slots=True)
class BufferedFrame:
    at: float  # UTC epoch seconds of capture
    jpeg: bytes


class PrerollBuffer:
    """Recent frames of one camera as JPEG, at most ``seconds`` long and ``max_bytes`` in total."""

    def __init__(
        self, seconds: float = 12.0, max_bytes: int = 16_000_000, max_fps: float = 10.0, quality: int = 80
    ):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.max_fps = max_fps
        self.quality = quality
        self._frames: deque[BufferedFrame] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self.dropped_oversize = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes

    def push(self, frame: Frame) -> bool:
        """Keep ``frame`` unless it comes sooner than ``1/max_fps`` after the previous one."""
        with self._lock:
            last = self._frames[-1].at if self._frames else None
        if last is not None and frame.captured_at - last < 0.9 / self.max_fps:
            return False
        ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            return False
        data = buf.tobytes()
        if len(data) > self.max_bytes:
            self.dropped_oversize += 1
            return False
        with self._lock:
            self._frames.append(BufferedFrame(frame.captured_at, data))
            self._bytes += len(data)
            newest = frame.captured_at
            while self._frames and (
                self._bytes > self.max_bytes or newest - self._frames[0].at > self.seconds
            ):
                self._bytes -= len(self._frames.popleft().jpeg)
        return True

    def frames_between(self, start: float, end: float) -> list[BufferedFrame]:
        with self._lock:
            return [f for f in self._frames if start <= f.at <= end]

    def span(self) -> tuple[float, float] | None:
        with self._lock:
            return (self._frames[0].at, self._frames[-1].at) if self._frames else None


@dataclass(frozen=True, slots=True)
class ClipSettings:
    pre_s: float = 5.0
    post_s: float = 5.0
    buffer_s: float = 12.0  # must exceed pre_s + post_s: the clip is cut post_s after the event
    max_bytes_per_camera: int = 16_000_000
    fps: float = 10.0
    quality: int = 80


@dataclass(frozen=True, slots=True)
class ClipResult:
    name: str
    camera_id: str
    at: float
    path: Path | None  # None: nothing was buffered (message says why)
    frames: int = 0
    message: str = ""


@dataclass(frozen=True, slots=True)
class _Request:
    name: str
    camera_id: str
    at: float


class EventClipper:
    """Keeps a pre-roll buffer per camera and writes an event clip for each ``request``."""

    MAX_PENDING = 64

    def __init__(
        self,
        feeds: Mapping[str, FrameFeed],
        clips_dir: Path,
        settings: ClipSettings | None = None,
        on_clip: Callable[[ClipResult], None] | None = None,
    ) -> None:
        self.settings = s = settings or ClipSettings()
        if s.buffer_s < s.pre_s + s.post_s:
            raise ValueError("buffer_s must be at least pre_s + post_s")
        self.clips_dir = clips_dir
        self._feeds = dict(feeds)
        self._on_clip = on_clip
        self._buffers = {cid: self._new_buffer() for cid in self._feeds}
        self._pending: list[_Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def _new_buffer(self) -> PrerollBuffer:
        s = self.settings
        return PrerollBuffer(s.buffer_s, s.max_bytes_per_camera, s.fps, s.quality)

    def buffer(self, camera_id: str) -> PrerollBuffer:
        with self._lock:
            if camera_id not in self._buffers:
                self._buffers[camera_id] = self._new_buffer()
            return self._buffers[camera_id]

    def add_feed(self, camera_id: str, feed: FrameFeed) -> None:
        """Buffer a camera added while the clipper runs (or replace its feed)."""
        with self._lock:
            self._feeds[camera_id] = feed
            self._buffers.setdefault(camera_id, self._new_buffer())

    def remove_feed(self, camera_id: str) -> None:
        """Stop buffering a camera; clips already requested for it are still written from its buffer."""
        with self._lock:
            self._feeds.pop(camera_id, None)

    def push(self, frame: Frame) -> None:
        """Feed a frame directly (cameras without a feed, tests)."""
        self.buffer(frame.camera_id).push(frame)

    def clip_path(self, name: str) -> Path:
        return self.clips_dir / f"{safe_component(name, 'event')}_clip.mp4"

    def request(self, camera_id: str, at: float, name: str) -> Path:
        """Schedule a clip around ``at`` (UTC) for event ``name``; returns where it will be written."""
        with self._lock:
            if len(self._pending) >= self.MAX_PENDING:
                dropped = self._pending.pop(0)
                log.warning("event clip queue full: dropped clip for %s", dropped.name)
            self._pending.append(_Request(name, camera_id, at))
        self._wake.set()
        return self.clip_path(name)

    def start(self) -> None:
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._feed_loop, name="preroll-feed", daemon=True),
            threading.Thread(target=self._clip_loop, name="event-clips", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop; clips still waiting for their post-roll are written with what was buffered."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.1, deadline - time.monotonic()))

    def _feed_loop(self) -> None:
        seen: dict[str, tuple[FrameFeed, int]] = {}  # camera -> (feed, version last buffered)
        while not self._stop.wait(0.5 / self.settings.fps):
            with self._lock:
                feeds = list(self._feeds.items())
            for cid, feed in feeds:
                v = feed.version
                if seen.get(cid) != (feed, v):
                    seen[cid] = (feed, v)
                    frame = feed.peek()
                    if frame is not None:
                        try:
                            self.buffer(cid).push(frame)
                        except Exception:
                            log.exception("pre-roll: cannot buffer a frame of %s", cid)

    def _clip_loop(self) -> None:
        while True:
            stopping = self._stop.is_set()
            now = time.time()
            with self._lock:
                due = [r for r in self._pending if stopping or now >= r.at + self.settings.post_s]
                self._pending = [r for r in self._pending if r not in due]
            for req in due:
                self._write_and_report(req)
            if stopping:
                return
            self._wake.wait(0.25)
            self._wake.clear()

    def _write_and_report(self, req: _Request) -> None:
        try:
            result = self.write_clip(req.camera_id, req.at, req.name)
        except Exception as exc:
            log.exception("event clip %s failed", req.name)
            result = ClipResult(req.name, req.camera_id, req.at, None, 0, f"failed: {exc}")
        if self._on_clip:
            try:
                self._on_clip(result)
            except Exception:
                log.exception("event clip callback failed")

    def write_clip(self, camera_id: str, at: float, name: str) -> ClipResult:
        """Encode the buffered frames of [at - pre_s, at + post_s] now (normally called by the worker)."""
        s = self.settings
        frames = self.buffer(camera_id).frames_between(at - s.pre_s, at + s.post_s)
        if not frames:
            return ClipResult(name, camera_id, at, None, 0, "no frames buffered around the event")
        self.clips_dir.mkdir(parents=True, exist_ok=True)
        first = _decode(frames[0].jpeg)
        h, w = first.shape[:2]
        enc = open_encoder(self.clip_path(name), (w, h), s.fps)
        written, idx, current = 0, 0, first
        try:
            t, step = frames[0].at, 1.0 / s.fps
            while t <= frames[-1].at + 1e-6:  # a fixed rate keeps the clip's clock equal to real time
                nxt = idx
                while nxt + 1 < len(frames) and frames[nxt + 1].at <= t + 1e-6:
                    nxt += 1
                if nxt != idx:
                    idx, current = nxt, _decode(frames[nxt].jpeg)
                enc.write(current)
                written += 1
                t += step
            path = enc.close()
        except BaseException:
            enc.abort()
            raise
        return ClipResult(name, camera_id, at, path, written)


def _decode(jpeg: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("corrupt JPEG in pre-roll buffer")
    return img
