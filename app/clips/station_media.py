"""Recording and event clips of a running station, following its cameras as they come and go.

``StationMedia`` owns the ``RecordingManager`` (continuous recording of cameras with ``record``) and the
``EventClipper`` (pre-roll buffers, a clip around every unmasked-person event). Cameras added, edited or
removed while the station runs (camera manager) are added to and removed from both, so a camera added at
run time gets its clips and recording like one configured at start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from app.clips.preroll import EventClipper
from app.clips.recorder import FrameFeed
from app.clips.recording import RecordingManager
from app.config import CameraConfig

log = logging.getLogger("vigil.clips")


class StationMedia:
    """``start(cameras, feeds)``, then ``add_camera``/``remove_camera`` as the configuration changes."""

    def __init__(
        self, recordings_dir: Path, clips_dir: Path, db_path: Path, *, record_all: bool, event_clips: bool
    ) -> None:
        self.recordings_dir, self.clips_dir, self._db_path = recordings_dir, clips_dir, db_path
        self._record_all, self._event_clips = record_all, event_clips
        self.recorder: RecordingManager | None = None
        self.clipper: EventClipper | None = None
        self._lock = threading.Lock()
        self._started = False

    def _recorded(self, cam: CameraConfig) -> CameraConfig:
        return replace(cam, record=cam.record or self._record_all)

    def start(self, cameras: list[CameraConfig], feeds: Mapping[str, FrameFeed]) -> None:
        cams = [self._recorded(c) for c in cameras if c.enabled]
        with self._lock:
            if any(c.record for c in cams):
                self.recorder = RecordingManager(cams, self.recordings_dir, self._db_path, feeds=feeds)
                self.recorder.start()
            if self._event_clips:
                self.clipper = EventClipper(feeds, self.clips_dir)
                self.clipper.start()
            self._started = True

    def add_camera(self, cam: CameraConfig, feed: FrameFeed) -> None:
        """A camera started while the station runs (before ``start`` this does nothing: start covers it)."""
        cam = self._recorded(cam)
        with self._lock:
            if not self._started:
                return
            if self.clipper is not None:
                self.clipper.add_feed(cam.id, feed)
            if cam.record and cam.enabled:
                if self.recorder is None:
                    self.recorder = RecordingManager([], self.recordings_dir, self._db_path)
                    self.recorder.start()
                self.recorder.add_camera(cam, feed)

    def remove_camera(self, camera_id: str) -> None:
        """A camera removed, disabled or about to restart with new settings: its recorder closes its
        segment in the background (ffmpeg may take seconds), so the window never waits for it."""
        with self._lock:
            if self.clipper is not None:
                self.clipper.remove_feed(camera_id)
            recorder = self.recorder.detach(camera_id) if self.recorder is not None else None
        if recorder is not None:
            threading.Thread(target=recorder.stop, name=f"recorder-stop-{camera_id}", daemon=True).start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            media = [m for m in (self.recorder, self.clipper) if m is not None]
            self._started = False
        for m in media:
            m.stop(timeout)
