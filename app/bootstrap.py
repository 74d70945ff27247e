"""The one place where store, captures, analysis and listeners are wired together.

``start_station(config, ...)`` returns a running ``LiveStation`` (implements ``app.station_api.Station``);
the headless runner, the benchmark and the window all use it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from app import paths
from app.analysis.engine import AnalysisOutput
from app.analysis.governor import station_governor
from app.analysis.healing import AnalysisHealth, HealthBoard, NoticeSink
from app.analysis.process import PooledAnalysisRunner, ProcessAnalysisRunner
from app.analysis.rules import CameraHealthRules
from app.analysis.spec import EngineSpec, tracker_options
from app.analysis.worker import AnalysisRunner, ThreadAnalysisRunner
from app.capture.camera import CameraCapture, CaptureOptions
from app.capture.slot import LatestSlot
from app.clips.preroll import EventClipper
from app.clips.recording import RecordingManager
from app.clips.station_media import StationMedia
from app.config import CameraConfig, StationConfig
from app.domain import CameraStatus, CaptureStats, Event, EventKind, Frame, FrameResult, Health, TrackSummary
from app.housekeeping import PeriodicTask
from app.security.file_modes import store_files, tighten_existing
from app.security.station_key import key_dir
from app.security.station_start import audit_head_task, ensure_station_key
from app.station_api import StationListener
from app.store.live_ticker import LiveTicker
from app.store.records import CameraRecord, SiteRecord, TrackUpdate
from app.store.retention import purge_older_than
from app.store.writer import StoreWriter
from app.watchlist.identities import purge_expired

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StationOptions:
    """How to run: where the database is, analysis in a child process or in threads, capture tuning."""

    db_path: Path | None = None
    analysis_mode: str = "process"  # "process" | "thread" | "off"
    analysis_threads: int = 1
    analysis_processes: int = 0  # 0: one per CPU core, at most 2
    detector_preset: str = "auto"  # auto (= scheduled) | live | fast | balanced | accurate
    mask_enabled: bool = True
    capture: CaptureOptions = field(default_factory=CaptureOptions)
    stagger_s: float = 0.05
    record: bool = False  # continuous recording of every camera (else only cameras with record = true)
    event_clips: bool = True  # pre-roll buffer + a clip around every unmasked-person event
    media_dir: Path | None = None  # recordings/ and clips/ go here (default: the user data dir)


class LiveFeed:
    """One running camera: its capture and its newest analysis result."""

    def __init__(self, camera: CameraConfig, capture: CameraCapture) -> None:
        self._camera = camera
        self.capture = capture
        self._results: LatestSlot[FrameResult] = LatestSlot()
        self.counters = {"faces": 0, "events": 0, "frames_analysed": 0}
        self.track_ids: set[int] = set()

    @property
    def camera(self) -> CameraConfig:
        return self._camera

    @property
    def frames(self):  # type: ignore[no-untyped-def]
        return self.capture.frames

    @property
    def results(self) -> LatestSlot[FrameResult]:
        return self._results

    def status(self) -> CameraStatus:
        return self.capture.status()

    # FrameFeed (recording, pre-roll): always the current capture's newest frame, also after the capture
    # restarted on the camera's sub-stream or main stream.
    def peek(self) -> Frame | None:
        return self.capture.frames.peek()

    @property
    def version(self) -> int:
        return self.capture.frames.version

    def stats(self) -> CaptureStats:
        return self.capture.stats()


class LiveStation:
    """Captures + analysis runner + store writer, with listeners for events and health changes."""

    def __init__(self, config: StationConfig, options: StationOptions | None = None) -> None:
        self._config = config
        self.options = options or StationOptions()
        self._db_path = Path(self.options.db_path or config.db_path or paths.default_db_path())
        self._listeners: list[StationListener] = []
        self._feeds: dict[str, LiveFeed] = {}
        self._lock = threading.RLock()
        self._health_rules = CameraHealthRules()
        self.errors: list[str] = []
        self.result_observers: list[Callable[[FrameResult], None]] = []  # called on the analysis thread
        relink_s = max(config.analysis.lost_track_s, config.analysis.crash_relink_s)
        self.writer = StoreWriter(self._db_path, on_error=self._on_store_error, relink_s=relink_s)
        self.runner: AnalysisRunner | None = self._make_runner()
        self.ticker = LiveTicker(self.writer.submit)
        self.add_listener(self.ticker.on_item)
        self._chores: list[PeriodicTask] = []
        media = Path(self.options.media_dir or paths.data_dir())
        self.recordings_dir, self.clips_dir = media / "recordings", media / "clips"
        self.media = StationMedia(
            self.recordings_dir,
            self.clips_dir,
            self._db_path,
            record_all=self.options.record,
            event_clips=self.options.event_clips and self.runner is not None,
        )

    @property
    def recorder(self) -> RecordingManager | None:
        return self.media.recorder

    @property
    def clipper(self) -> EventClipper | None:
        return self.media.clipper

    # ------------------------------------------------------------ lifecycle

    def start(self) -> LiveStation:
        self._tighten_files()
        self.writer.start()
        self.station_key = ensure_station_key(self.writer.call)
        for site in self._config.sites:
            self.writer.submit(SiteRecord.from_config(site))
        if self.runner is not None:
            self.runner.start()
        for i, cam in enumerate(c for c in self._config.cameras if c.enabled):
            self._start_camera(cam, delay_s=i * self.options.stagger_s)
        self.media.start(list(self._config.cameras), self.feeds())
        self.ticker.start()
        self._start_chores()
        return self

    def _tighten_files(self) -> None:
        """Files an older version (or a copy) left readable by other accounts become owner-only."""
        data = paths.data_dir()
        tighten_existing(
            [*store_files(self._db_path), data, paths.default_config_path()],
            [paths.log_dir(), key_dir(), self.recordings_dir, self.clips_dir],
        )

    def _start_chores(self) -> None:
        """Hourly: purge events, face crops and tracks past the retention period; purge expired watchlist
        entries. Both run on the writer thread (the one connection that writes)."""
        days = self._config.retention_days
        self._chores = [
            PeriodicTask("retention-purge", lambda: self.writer.call(lambda db: purge_older_than(db, days))),
            PeriodicTask("watchlist-expiry", lambda: self.writer.call(purge_expired)),
            audit_head_task(self.writer.call),
        ]
        for chore in self._chores:
            chore.start()

    def stop(self, timeout: float = 5.0) -> None:
        # Feeds stay readable after stop (the run summary reads their counters).
        with self._lock:
            feeds = list(self._feeds.values())
        for feed in feeds:
            feed.capture.request_stop()
        for feed in feeds:
            feed.capture.stop(timeout)
        if self.runner is not None:
            self.runner.stop(timeout)
        self.media.stop(timeout)
        for chore in self._chores:
            chore.stop(timeout)
        self.ticker.stop()
        self.writer.stop(timeout)

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Wait until the analysis models are loaded (the first seconds after start)."""
        runner = self.runner
        return runner is None or bool(getattr(runner, "wait_ready", lambda t: True)(timeout))

    # ------------------------------------------------------------ Station protocol

    def config(self) -> StationConfig:
        return self._config

    def feeds(self) -> Mapping[str, LiveFeed]:
        with self._lock:
            return dict(self._feeds)

    def add_listener(self, listener: StationListener) -> None:
        self._listeners.append(listener)

    def apply_config(self, config: StationConfig) -> None:
        old = {c.id: c for c in self._config.cameras if c.enabled}
        new = {c.id: c for c in config.cameras if c.enabled}
        self._config = config
        for site in config.sites:
            self.writer.submit(SiteRecord.from_config(site))
        for cid, cam in old.items():
            if new.get(cid) != cam:
                self._stop_camera(cid)
        for cid, cam in new.items():
            if old.get(cid) != cam:
                self._start_camera(cam)

    def analysed_fps(self) -> float:
        return self.runner.analysed_fps() if self.runner is not None else 0.0

    def db_path(self) -> str:
        return str(self._db_path)

    def analysis_health(self) -> AnalysisHealth:
        """Restarts of the analysis processes so far and the newest health line (status bar, run summary)."""
        board = self._analysis_board()
        return board.health() if board is not None else AnalysisHealth()

    def add_analysis_listener(self, listener: NoticeSink) -> None:
        """``listener(notice)`` on every analysis health line (called on a runner thread)."""
        board = self._analysis_board()
        if board is not None:
            board.listeners.append(listener)

    def _analysis_board(self) -> HealthBoard | None:
        board = getattr(self.runner, "board", None)
        return board if isinstance(board, HealthBoard) else None

    def mask_error(self) -> str | None:
        if self.runner is None:
            return "analysis is switched off"
        return self.runner.mask_error

    def set_stream_preference(self, camera_id: str, main: bool) -> None:
        """Small tiles use the sub-stream, a maximised tile the main stream (when the camera has both)."""
        with self._lock:
            feed = self._feeds.get(camera_id)
        if feed is None or not feed.camera.sub_source:
            return
        want = feed.camera.source if main else feed.camera.sub_source
        if feed.capture.camera.source != want:
            self._restart_capture(feed, want)

    def acknowledge_event(self, event_id: int, by: str) -> None:
        self.writer.acknowledge(event_id, by)

    # ------------------------------------------------------------ internals

    def _make_runner(self) -> AnalysisRunner | None:
        mode = self.options.analysis_mode
        if mode == "off":
            return None
        spec = engine_spec(self._config, self.options, self._db_path)
        n = self.options.analysis_processes or min(2, os.cpu_count() or 1)
        if mode == "thread":
            return ThreadAnalysisRunner(spec, self._on_output, self._on_ended, self.options.analysis_threads)
        if n == 1:
            return ProcessAnalysisRunner(spec, self._on_output, self._on_ended)
        return PooledAnalysisRunner(spec, self._on_output, self._on_ended, n)

    def _start_camera(self, cam: CameraConfig, delay_s: float = 0.0) -> None:
        self.writer.submit(CameraRecord.from_config(cam))
        capture = CameraCapture(cam, self._on_status, self.options.capture)
        feed = LiveFeed(cam, capture)
        with self._lock:
            self._feeds[cam.id] = feed
        if self.runner is not None:
            self.runner.add_camera(cam.id, capture.frames, feed.results, cam.analysis_fps, cam.zones)
        capture.start(delay_s)
        self.media.add_camera(cam, feed)

    def _stop_camera(self, camera_id: str) -> None:
        with self._lock:
            feed = self._feeds.pop(camera_id, None)
        if feed is None:
            return
        if self.runner is not None:
            self.runner.remove_camera(camera_id)
        self.media.remove_camera(camera_id)
        feed.capture.stop()
        self._health_rules.forget(camera_id)

    def _restart_capture(self, feed: LiveFeed, source: str) -> None:
        old = feed.capture
        old.request_stop()
        feed.capture = CameraCapture(
            replace(feed.camera, source=source), self._on_status, self.options.capture
        )
        if self.runner is not None:
            self.runner.add_camera(
                feed.camera.id, feed.capture.frames, feed.results, feed.camera.analysis_fps, feed.camera.zones
            )
        feed.capture.start()

    def _emit(self, item: Event | CameraStatus) -> None:
        for listener in list(self._listeners):
            try:
                listener(item)
            except Exception:
                log.exception("station listener failed")

    def _on_status(self, status: CameraStatus) -> None:
        if status.health is not Health.STOPPED:
            self.writer.submit(status)
        self._emit(status)
        event = self._health_rules.on_status(status)
        if event is not None:
            self._record_event(event)

    def _on_output(self, out: AnalysisOutput) -> None:
        feed = self._feeds.get(out.result.camera_id)
        if feed is not None:
            feed.counters["frames_analysed"] += 1
            feed.counters["faces"] += len(out.result.faces)
        for observer in self.result_observers:
            observer(out.result)
        for event in out.events:
            self._record_event(event)
        if out.open:
            self._on_ended(out.open, still_open=True)
        if out.ended:
            self._on_ended(out.ended)

    def _on_ended(self, summaries: tuple[TrackSummary, ...], still_open: bool = False) -> None:
        """Store ended tracks, or checkpoints of open ones (``still_open``: counted now, so a crash keeps
        them; the final update of the same track updates the same row)."""
        for s in summaries:
            feed = self._feeds.get(s.camera_id)
            if feed is not None:
                feed.track_ids.add(s.track_id)
            self.writer.submit(
                TrackUpdate(
                    s.camera_id,
                    s.track_id,
                    s.first_seen,
                    s.last_seen,
                    s.best_face_px,
                    s.verdict,
                    s.frames,
                    open=still_open,
                )
            )

    def _record_event(self, event: Event) -> None:
        if self.clipper is not None and event.kind in (EventKind.NO_MASK, EventKind.INCORRECT_MASK):
            name = (
                f"{event.camera_id}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime(event.at))}-t{event.track_id}"
            )
            clip = self.clipper.request(event.camera_id, event.at, name)
            event = replace(event, details={**event.details, "clip": str(clip)})
        feed = self._feeds.get(event.camera_id)
        if feed is not None:
            feed.counters["events"] += 1
        self.writer.submit(event)
        self._emit(event)

    def _on_store_error(self, message: str) -> None:
        log.error("store: %s", message)
        self.errors.append(message)


def engine_spec(config: StationConfig, options: StationOptions, db_path: Path | str) -> EngineSpec:
    """The analysis engine a station with ``config`` and ``options`` runs (also what
    ``vigil eval-compliance`` plays its clips through, so the two cannot drift apart)."""
    processes = options.analysis_processes or min(2, os.cpu_count() or 1)
    engines = 1 if options.analysis_mode == "thread" else processes
    return EngineSpec(
        analysis=config.analysis,
        detector_preset=resolve_preset(options.detector_preset, config),
        tracker=tracker_options(config.analysis),
        mask_enabled=options.mask_enabled,
        db_path=str(db_path),
        governor=station_governor(config, engines),
    )


def resolve_preset(preset: str, config: StationConfig) -> str:
    """``auto``: the detection scheduler (``scheduled``), whose governor sizes the scan to the cameras."""
    if preset == "auto":
        preset = config.analysis.detector_preset
    return "scheduled" if preset == "auto" else preset


def start_station(config: StationConfig, options: StationOptions | None = None) -> LiveStation:
    """Build and start a station; the caller must ``stop()`` it."""
    station = LiveStation(config, options)
    started = time.monotonic()
    station.start()
    log.info("station started with %d cameras in %.2f s", len(station.feeds()), time.monotonic() - started)
    return station
