"""Self-healing analysis: what the parent keeps of a child process's tracks, and when it restarts one.

A child that dies (segfault in a native library, OOM kill, ``kill -9``) is restarted by its
``ProcessAnalysisRunner``. The child sends its open tracks with its results whenever the set of tracks
changed (and at least once a second); the parent keeps the newest copy here and hands it to the next
child, so a person in view keeps their track id and is not counted twice.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.analysis.engine import AnalysisOutput, summarise
from app.analysis.tracker import FaceTracker
from app.domain import TrackSummary

log = logging.getLogger(__name__)

MAX_PAUSE_S = 30.0  # an outage longer than this counts towards lost tracks (the person may have left)
HEALTHY_AFTER_S = 20.0  # a child that ran this long resets the restart backoff
BACKOFF_S = (0.0, 0.0, 1.0, 2.0, 5.0, 10.0)  # pause before restart number n of a crash series
CHECKPOINT_S = 1.0  # the child sends its tracks at least this often (and whenever the set changed)


class ChildGone(Exception):
    """The analysis child ended or stopped answering; ``args[0]`` says how (one line)."""


@dataclass(frozen=True, slots=True)
class AnalysisNotice:
    """One health line about analysis (the child died, was restarted, or cannot be restarted)."""

    at: float  # UTC epoch
    level: str  # "warning" | "info" | "error"
    message: str
    restarts: int  # restarts of this station's analysis so far


@dataclass(frozen=True, slots=True)
class AnalysisHealth:
    """What the status bar and ``vigil run --json`` show: restarts so far and the newest notice."""

    restarts: int = 0
    last: AnalysisNotice | None = None


NoticeSink = Callable[[AnalysisNotice], None]


def exit_text(exitcode: int | None) -> str:
    """'killed by signal 9 (SIGKILL)', 'exit code 1', or 'no exit code' for a process that ended."""
    if exitcode is None:
        return "no exit code"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        return f"killed by signal {-exitcode} ({name})"
    return f"exit code {exitcode}"


class TrackKeeper:
    """The parent's copy of one child's open tracks (newest checkpoint) and the highest ids it handed out."""

    def __init__(self) -> None:
        self._trackers: dict[str, FaceTracker] = {}
        self._max_id: dict[str, int] = {}

    def update(self, checkpoint: dict[str, FaceTracker] | None, outputs: Iterable[AnalysisOutput]) -> None:
        if checkpoint is not None:
            self._trackers = checkpoint
        for out in outputs:
            cid = out.result.camera_id
            ids = [f.track_id for f in out.result.faces if f.track_id is not None]
            ids += [s.track_id for s in out.ended]
            if ids:
                self._max_id[cid] = max(self._max_id.get(cid, 0), *ids)

    def forget(self, camera_id: str) -> None:
        self._trackers.pop(camera_id, None)

    def open_tracks(self) -> int:
        return sum(len(t.tracks) for t in self._trackers.values())

    def resume(self, paused_s: float, cameras: set[str]) -> dict[str, FaceTracker]:
        """The trackers a new child continues (only cameras still analysed), ids and lost time adjusted."""
        out = {cid: t for cid, t in self._trackers.items() if cid in cameras}
        for cid, tracker in out.items():
            tracker.resume_after(min(paused_s, MAX_PAUSE_S), self._max_id.get(cid, 0) + 1)
        return out

    def end_except(self, cameras: set[str]) -> tuple[TrackSummary, ...]:
        """End the kept tracks of cameras no longer analysed (removed while the child was down)."""
        gone = {cid: t for cid, t in self._trackers.items() if cid not in cameras}
        ended = tuple(
            summarise(cid, t) for cid, tr in gone.items() for t in tr.tracks.values() if tr.is_person(t)
        )
        for cid in gone:
            del self._trackers[cid]
        return ended

    def end_all(self) -> tuple[TrackSummary, ...]:
        """Summaries of every kept track (the child is gone for good: close them at their last sighting)."""
        ended = tuple(
            summarise(cid, t)
            for cid, tr in self._trackers.items()
            for t in tr.tracks.values()
            if tr.is_person(t)
        )
        self._trackers = {}
        return ended


class RestartPolicy:
    """Restart at once after a child that ran a while; back off when children die one after another."""

    def __init__(self) -> None:
        self._series = 0
        self.restarts = 0

    def delay(self, lived_s: float) -> float:
        if lived_s >= HEALTHY_AFTER_S:
            self._series = 0
        d = BACKOFF_S[min(self._series, len(BACKOFF_S) - 1)]
        self._series += 1
        self.restarts += 1
        return d


class HealthBoard:
    """Collects notices from every runner of a station (thread-safe); listeners are called on the runner's
    thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._health = AnalysisHealth()
        self.listeners: list[NoticeSink] = []

    def post(self, level: str, message: str, restarted: bool = False) -> AnalysisNotice:
        with self._lock:
            restarts = self._health.restarts + (1 if restarted else 0)
            notice = AnalysisNotice(time.time(), level, message, restarts)
            self._health = AnalysisHealth(restarts, notice)
        log.log(
            logging.ERROR if level == "error" else logging.WARNING if level == "warning" else logging.INFO,
            "%s",
            message,
        )
        for listener in list(self.listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("analysis health listener failed")
        return notice

    def health(self) -> AnalysisHealth:
        with self._lock:
            return self._health
