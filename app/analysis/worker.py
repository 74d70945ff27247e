"""Analysis runners: take the newest frame of each camera at its analysis rate, analyse, publish results.

``ThreadAnalysisRunner`` runs engines in threads of this process; ``ProcessAnalysisRunner``
(``app.analysis.process``) runs them in a child process. Both have the same interface.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.analysis.engine import AnalysisEngine, AnalysisOutput
from app.analysis.spec import EngineSpec, build_parts
from app.capture.slot import LatestSlot
from app.domain import Frame, FrameResult, TrackSummary
from app.zones import Zone

log = logging.getLogger(__name__)

OutputSink = Callable[[AnalysisOutput], None]
EndedSink = Callable[[tuple[TrackSummary, ...]], None]


@dataclass(slots=True)
class CameraLane:
    """Scheduling state of one camera inside a runner."""

    camera_id: str
    frames: LatestSlot[Frame]
    results: LatestSlot[FrameResult]
    period_s: float
    next_due: float = 0.0
    seen_version: int = 0
    zones: tuple[Zone, ...] = ()  # exclusion / counting zones (app.zones), applied by the engine


class ZoneSync:
    """Tells an engine each camera's zones once, and again only when a lane brings other zones."""

    def __init__(self) -> None:
        self._sent: dict[str, tuple[Zone, ...]] = {}

    def changed(self, lane: CameraLane) -> bool:
        if self._sent.get(lane.camera_id, ()) == lane.zones:
            return False
        self._sent[lane.camera_id] = lane.zones
        return True


class RoundScheduler:
    """Picks, per round, the cameras that are due and have a frame newer than the last analysed one."""

    def __init__(self) -> None:
        self._lanes: dict[str, CameraLane] = {}
        self._lock = threading.Lock()

    def add(self, lane: CameraLane) -> None:
        with self._lock:
            self._lanes[lane.camera_id] = lane

    def remove(self, camera_id: str) -> CameraLane | None:
        with self._lock:
            return self._lanes.pop(camera_id, None)

    def __len__(self) -> int:
        return len(self._lanes)

    def camera_ids(self) -> set[str]:
        with self._lock:
            return set(self._lanes)

    def due(self, now: float, max_batch: int) -> list[tuple[CameraLane, Frame]]:
        picked: list[tuple[CameraLane, Frame]] = []
        with self._lock:
            lanes = sorted(self._lanes.values(), key=lambda ln: ln.next_due)
        for lane in lanes:
            if len(picked) >= max_batch or lane.next_due > now:
                break
            frame, version = lane.frames.take_newer(lane.seen_version, timeout=0)
            if frame is None:
                continue
            lane.seen_version = version
            # Fixed rate without catch-up: a late round does not cause a burst afterwards.
            lane.next_due = max(lane.next_due + lane.period_s, now)
            picked.append((lane, frame))
        return picked

    def seconds_to_next(self, now: float) -> float:
        with self._lock:
            if not self._lanes:
                return 0.05
            return max(0.0, min(ln.next_due for ln in self._lanes.values()) - now)


class RateMeter:
    """Events per second over a sliding window (thread-safe)."""

    def __init__(self, window_s: float = 5.0) -> None:
        self._window = window_s
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, n: int = 1, now: float | None = None) -> None:
        t = time.monotonic() if now is None else now
        with self._lock:
            self._times.extend([t] * n)
            self._trim(t)

    def rate(self) -> float:
        t = time.monotonic()
        with self._lock:
            self._trim(t)
            return len(self._times) / self._window

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self._window:
            self._times.popleft()


class AnalysisRunner(Protocol):
    def add_camera(
        self,
        camera_id: str,
        frames: LatestSlot[Frame],
        results: LatestSlot[FrameResult],
        fps: float,
        zones: tuple[Zone, ...] = (),
    ) -> None: ...

    def remove_camera(self, camera_id: str) -> None: ...

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def analysed_fps(self) -> float: ...

    @property
    def mask_error(self) -> str | None: ...


class _EngineThread(threading.Thread):
    """One engine, its cameras, and the loop that feeds it."""

    def __init__(
        self,
        name: str,
        spec: EngineSpec,
        sink: OutputSink,
        ended: EndedSink,
        meter: RateMeter,
        max_batch: int = 8,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.scheduler = RoundScheduler()
        self._spec, self._sink, self._ended, self._meter = spec, sink, ended, meter
        self._max_batch = max_batch
        self._stop_evt = threading.Event()
        self._finish: deque[str] = deque()
        self.mask_error: str | None = None
        self.ready = threading.Event()
        self._zones = ZoneSync()

    def request_finish(self, camera_id: str) -> None:
        self._finish.append(camera_id)

    def stop(self) -> None:
        self._stop_evt.set()

    def run(self) -> None:
        engine = AnalysisEngine(build_parts(self._spec))
        try:
            self._loop(engine)
        except Exception:
            log.exception("analysis thread %s crashed", self.name)
        finally:
            self._ended(engine.finish())
            engine.close()

    def _loop(self, engine: AnalysisEngine) -> None:
        engine.analyse([])  # load models now, in this thread
        self.mask_error = engine.mask_error
        self.ready.set()
        while not self._stop_evt.is_set():
            while self._finish:
                self._ended(engine.finish(self._finish.popleft()))
            now = time.monotonic()
            batch = self.scheduler.due(now, self._max_batch)
            if not batch:
                self._stop_evt.wait(min(0.02, max(0.002, self.scheduler.seconds_to_next(now))))
                continue
            for lane, _ in batch:
                if self._zones.changed(lane):
                    engine.set_zones(lane.camera_id, lane.zones)
            outputs = engine.analyse([frame for _, frame in batch])
            self._meter.tick(len(outputs))
            for (lane, _), out in zip(batch, outputs, strict=True):
                lane.results.put(out.result)
                self._sink(out)


class ThreadAnalysisRunner:
    """Engines in threads of this process; cameras are spread over ``threads`` engines."""

    def __init__(self, spec: EngineSpec, sink: OutputSink, ended: EndedSink, threads: int = 1) -> None:
        self._meter = RateMeter()
        self._threads = [
            _EngineThread(f"analysis-{i}", spec, sink, ended, self._meter) for i in range(max(1, threads))
        ]
        self._home: dict[str, _EngineThread] = {}

    def add_camera(
        self,
        camera_id: str,
        frames: LatestSlot[Frame],
        results: LatestSlot[FrameResult],
        fps: float,
        zones: tuple[Zone, ...] = (),
    ) -> None:
        self.remove_camera(camera_id)
        thread = min(self._threads, key=lambda t: len(t.scheduler))
        thread.scheduler.add(CameraLane(camera_id, frames, results, 1.0 / max(fps, 0.1), zones=zones))
        self._home[camera_id] = thread

    def remove_camera(self, camera_id: str) -> None:
        thread = self._home.pop(camera_id, None)
        if thread is not None:
            thread.scheduler.remove(camera_id)
            thread.request_finish(camera_id)

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def wait_ready(self, timeout: float = 60.0) -> bool:
        return all(t.ready.wait(timeout) for t in self._threads)

    def stop(self, timeout: float = 5.0) -> None:
        for t in self._threads:
            t.stop()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            if t.is_alive():
                t.join(max(0.0, deadline - time.monotonic()))

    def analysed_fps(self) -> float:
        return self._meter.rate()

    @property
    def mask_error(self) -> str | None:
        return next((t.mask_error for t in self._threads if t.mask_error), None)
