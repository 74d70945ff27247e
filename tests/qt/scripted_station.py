"""A Station for widget tests: real LatestSlots that the test fills with frames and scripted results."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from app.capture.slot import LatestSlot
from app.config import CameraConfig, SiteConfig, StationConfig
from app.domain import BBox, CameraStatus, CaptureStats, Event, Face, Frame, FrameResult, Health, MaskState
from app.station_api import StationListener


@dataclass
class ScriptedFeed:
    """One camera whose frames, results, health and stats the test sets."""

    camera: CameraConfig
    frames: LatestSlot[Frame] = field(default_factory=LatestSlot)
    results: LatestSlot[FrameResult] = field(default_factory=LatestSlot)
    health: Health = Health.LIVE
    message: str = ""
    fps: float = 15.0
    seq: int = 0

    def status(self) -> CameraStatus:
        return CameraStatus(self.camera.id, self.health, time.time(), self.message)

    def stats(self) -> CaptureStats:
        frame = self.frames.peek()
        return CaptureStats(
            frames_in=self.seq, fps=self.fps, last_frame_mono=frame.captured_mono if frame else None
        )

    def push_frame(self, image: np.ndarray, mono: float | None = None) -> Frame:
        self.seq += 1
        frame = Frame(
            self.camera.id, self.seq, image, time.time(), time.monotonic() if mono is None else mono
        )
        self.frames.put(frame)
        return frame

    def push_result(self, frame: Frame, faces: tuple[Face, ...], captured_mono: float | None = None) -> None:
        mono = frame.captured_mono if captured_mono is None else captured_mono
        self.results.put(
            FrameResult(
                self.camera.id,
                frame.seq,
                frame.captured_at,
                mono,
                mono + 0.01,
                (frame.width, frame.height),
                faces,
                True,
            )
        )


class ScriptedStation:
    """Implements app.station_api.Station over ScriptedFeeds; records what the UI asked of it."""

    def __init__(self, config: StationConfig, db_path: str = "") -> None:
        self._config = config
        self._db_path = db_path
        self._feeds: dict[str, ScriptedFeed] = {}
        self.listeners: list[StationListener] = []
        self.stream_requests: list[tuple[str, bool]] = []
        self.acknowledged: list[Event] = []
        self.acknowledged_ids: list[tuple[int, str]] = []
        self.applied: list[StationConfig] = []
        self.fps = 0.0
        self._sync()

    def _sync(self) -> None:
        wanted = {c.id: c for c in self._config.cameras if c.enabled}
        for cid in list(self._feeds):
            if cid not in wanted or self._feeds[cid].camera != wanted[cid]:
                del self._feeds[cid]
        for cid, cam in wanted.items():
            self._feeds.setdefault(cid, ScriptedFeed(cam))

    def feed(self, camera_id: str) -> ScriptedFeed:
        return self._feeds[camera_id]

    # -- Station protocol ---------------------------------------------------------------------------
    def config(self) -> StationConfig:
        return self._config

    def feeds(self) -> Mapping[str, ScriptedFeed]:
        return dict(self._feeds)

    def add_listener(self, listener: StationListener) -> None:
        self.listeners.append(listener)

    def apply_config(self, config: StationConfig) -> None:
        self.applied.append(config)
        self._config = config
        self._sync()

    def analysed_fps(self) -> float:
        return self.fps

    def db_path(self) -> str:
        return self._db_path

    def set_stream_preference(self, camera_id: str, main: bool) -> None:
        self.stream_requests.append((camera_id, main))

    def acknowledge_event(self, event_id: int, by: str) -> None:
        self.acknowledged_ids.append((event_id, by))

    def acknowledge(self, event: Event) -> None:
        """What app/cli/gui.py wires into the window (it resolves the stored id first)."""
        self.acknowledged.append(event)

    def stop(self, timeout: float = 5.0) -> None:
        pass

    # -- test helpers -------------------------------------------------------------------------------
    def emit(self, item: Event | CameraStatus) -> None:
        """Call the listeners as a worker thread would."""
        for listener in self.listeners:
            listener(item)


def make_config(n: int = 4, sites: int = 2, password: str = "") -> StationConfig:
    site_cfgs = tuple(SiteConfig(f"site{i}", f"Mall {chr(65 + i)}") for i in range(sites))
    cams = tuple(
        CameraConfig(
            f"cam{i}",
            f"Entrance {i}",
            f"site{i % sites}",
            f"rtsp://admin:{password}@10.0.0.{i}/stream1" if password else f"/videos/cam{i}.mp4",
        )
        for i in range(n)
    )
    return StationConfig(sites=site_cfgs, cameras=cams)


def grey_frame(w: int = 640, h: int = 360, value: int = 60) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def face(x1: float, y1: float, x2: float, y2: float, mask: MaskState, track: int = 1) -> Face:
    return Face(BBox(x1, y1, x2, y2), 0.9, track_id=track, mask=mask)


class SyntheticStation(ScriptedStation):
    """A ScriptedStation whose cameras get synthetic frames from one thread each at ``fps`` (benchmarks)."""

    def __init__(self, cameras: int = 16, size: tuple[int, int] = (1280, 720), fps: float = 15.0) -> None:
        super().__init__(make_config(cameras, sites=2))
        w, h = size
        base = np.zeros((h, w, 3), np.uint8)
        base[:, :, 0] = np.linspace(30, 120, w, dtype=np.uint8)[None, :]
        base[:, :, 1] = np.linspace(20, 90, h, dtype=np.uint8)[:, None]
        self._images = []
        for k in range(4):  # a few distinct frames, shared read-only by all cameras (tiles never write)
            img = base.copy()
            img[h // 3 : h // 3 + 80, k * w // 4 : k * w // 4 + 80] = 230
            img.flags.writeable = False
            self._images.append(img)
        self._fps = fps
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> SyntheticStation:
        for i, cid in enumerate(self._feeds):
            t = threading.Thread(target=self._run, args=(cid, i), name=f"synthetic-{cid}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _run(self, camera_id: str, offset: int) -> None:
        feed = self._feeds[camera_id]
        period = 1.0 / self._fps
        next_t = time.monotonic() + offset * period / len(self._feeds)
        n = 0
        while not self._stop.is_set():
            delay = next_t - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
            frame = feed.push_frame(self._images[n % len(self._images)])
            if n % 3 == 0:  # analysis at 5 fps: one face box per result
                feed.push_result(frame, (face(600, 200, 720, 340, MaskState.NO_MASK, 1),))
            n += 1
            next_t += period

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
