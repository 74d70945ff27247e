"""MomentAnalyser: the export-time analysis (face detector, mask model, tracker, per-person verdicts) run on the
frames playback shows, for the moments where the store has no face boxes.

One background thread, never the GUI thread. Each camera has one pending frame: a newer frame replaces the one
not yet analysed (stale work is dropped, not queued), so at 16x or while scrubbing the boxes follow the newest
frame the tile shows. The face detector is MediaPipe in a spawned child process (``playback_models``), as for
exports from the window; the mask model is ONNX Runtime, safe in this process. Tracks (and so verdicts) carry
on while playback moves forward frame by frame and start afresh after a jump.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from app.analysis.engine import AnalysisEngine, EngineParts
from app.analysis.spec import make_verdict_tracker
from app.analysis.tracker import TrackerOptions
from app.clips.export_analysis import AnalysisModels, default_models
from app.config import AnalysisConfig
from app.domain import Frame, FrameResult
from app.playback.decoder import DecodedFrame
from models.face_detector import FaceDetector

log = logging.getLogger("vigil.playback")

CONTINUOUS_S = 2.0  # frames further apart than this (or backwards) start new tracks
RETRY_S = 30.0  # after the models failed to load, wait this long before trying again


@dataclass(frozen=True, slots=True)
class AnalysedMoment:
    """The analysis of one shown frame (``result``), or why there is none (``error``)."""

    camera_id: str
    at: float
    segment_id: int | None
    result: FrameResult | None
    error: str = ""


def playback_models(analysis: AnalysisConfig | None = None) -> AnalysisModels:
    """The export's models with its detector in a child process (MediaPipe never runs in the Qt process)."""
    from app.analysis.child_detector import ChildProcessDetector
    from app.clips.faces import default_detector

    return replace(default_models(analysis), detector=functools.partial(ChildProcessDetector, default_detector))


class MomentAnalyser:
    """``request(frame)`` from any thread; ``latest(camera_id)`` is the newest analysis of that camera."""

    def __init__(self, models: AnalysisModels) -> None:
        self._models = models
        self._cv = threading.Condition()
        self._pending: OrderedDict[str, DecodedFrame] = OrderedDict()
        self._latest: dict[str, AnalysedMoment] = {}
        self._last_at: dict[str, tuple[float, int | None]] = {}
        self._detectors: list[FaceDetector] = []
        self._closed = False
        self._busy: tuple[str, float, int | None] | None = None
        self._broken_until = 0.0
        self.error = ""  # why the models are not available (shown on the tiles)
        self.analysed = 0  # frames analysed (tests and the log)
        self._thread: threading.Thread | None = None

    # -- any thread ---------------------------------------------------------------------------------
    def request(self, frame: DecodedFrame) -> None:
        """Analyse ``frame`` soon; replaces the camera's frame still waiting (if any)."""
        with self._cv:
            if self._closed:
                return
            done = self._latest.get(frame.camera_id)
            if done is not None and done.at == frame.at and done.segment_id == frame.segment_id:
                return
            if self._busy == (frame.camera_id, frame.at, frame.segment_id):
                return  # being analysed right now
            self._pending[frame.camera_id] = frame
            self._pending.move_to_end(frame.camera_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="playback-analysis", daemon=True)
                self._thread.start()
            self._cv.notify()

    def latest(self, camera_id: str) -> AnalysedMoment | None:
        with self._cv:
            return self._latest.get(camera_id)

    def pending(self, camera_id: str) -> bool:
        """Whether a frame of ``camera_id`` waits or is being analysed."""
        with self._cv:
            return camera_id in self._pending or (self._busy is not None and self._busy[0] == camera_id)

    def forget(self, camera_id: str) -> None:
        with self._cv:
            self._pending.pop(camera_id, None)
            self._latest.pop(camera_id, None)

    def close(self, timeout: float = 3.0) -> None:
        """Stop the thread and end the detector's child process (also while it is starting)."""
        with self._cv:
            self._closed = True
            self._pending.clear()
            self._cv.notify()
            detectors = list(self._detectors)
        for d in detectors:  # ChildProcessDetector.close is thread-safe: ends a child that is still loading
            try:
                d.close()
            except Exception:  # noqa: BLE001 - closing must not fail the window's shutdown
                log.exception("closing the playback face detector")
        if self._thread is not None:
            self._thread.join(timeout)

    # -- worker -------------------------------------------------------------------------------------
    def _detector(self) -> FaceDetector:
        d = self._models.detector()
        with self._cv:
            self._detectors.append(d)
        return d

    def _run(self) -> None:
        parts = EngineParts(
            detector=self._detector, mask=self._models.mask, verdict=make_verdict_tracker, tracker=TrackerOptions()
        )
        engine = AnalysisEngine(parts)
        try:
            while True:
                with self._cv:
                    while not self._pending and not self._closed:
                        self._cv.wait()
                    if self._closed:
                        return
                    cid, frame = self._pending.popitem(last=False)
                    self._busy = (cid, frame.at, frame.segment_id)
                try:
                    moment = self._analyse(engine, frame)
                finally:
                    with self._cv:
                        self._busy = None
                with self._cv:
                    if not self._closed:
                        self._latest[cid] = moment
        finally:
            engine.close()

    def _analyse(self, engine: AnalysisEngine, f: DecodedFrame) -> AnalysedMoment:
        if time.monotonic() < self._broken_until:
            return AnalysedMoment(f.camera_id, f.at, f.segment_id, None, self.error)
        last = self._last_at.get(f.camera_id)
        if last is not None and not (last[1] == f.segment_id and 0 < f.at - last[0] <= CONTINUOUS_S):
            engine.finish(f.camera_id)  # a jump: this frame's faces are new tracks
        try:
            [out] = engine.analyse([Frame(f.camera_id, f.index, f.image, f.at, f.at)])
        except Exception as exc:  # noqa: BLE001 - no model, a stuck child: the tile says so, playback goes on
            self.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.warning("playback analysis unavailable: %s", self.error)
            self._broken_until = time.monotonic() + RETRY_S
            self._last_at.pop(f.camera_id, None)
            return AnalysedMoment(f.camera_id, f.at, f.segment_id, None, self.error)
        self.error = ""
        self.analysed += 1
        self._last_at[f.camera_id] = (f.at, f.segment_id)
        return AnalysedMoment(f.camera_id, f.at, f.segment_id, out.result)
