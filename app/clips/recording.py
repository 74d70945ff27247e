"""Recording for the whole station: one Recorder per camera with ``record`` on, the index, and retention."""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from app.clips.index import Segment, add_segment, all_segments, recorded_cameras, remove_segment
from app.clips.recorder import FrameFeed, Recorder, RecorderSettings, RecorderStatus
from app.clips.reindex import add_found, indexed_paths, unindexed_segments
from app.config import CameraConfig
from app.store.bookmarks import locked_ranges, overlaps_lock

log = logging.getLogger("vigil.clips")


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Keep segments for ``max_days`` and within ``max_bytes`` in total (0: no limit); oldest go first."""

    max_days: float = 30.0
    max_bytes: int = 0
    min_free_bytes: int = 1_000_000_000  # also free space when the disk runs this low


@dataclass(frozen=True, slots=True)
class RetentionReport:
    deleted: int
    freed_bytes: int


def apply_retention(
    db: Database, recordings_dir: Path, policy: RetentionPolicy, now: float | None = None
) -> RetentionReport:
    """Delete the oldest segments (file, then index row) until the age, quota and free-space limits hold.

    A segment that touches an active evidence lock is never deleted, not even when the disk is full."""
    now = time.time() if now is None else now
    locks = locked_ranges(db, now)
    segments = [s for s in all_segments(db) if not overlaps_lock(locks, s.camera_id, s.start, s.end)]
    total = sum(s.bytes for s in segments)  # locked segments count neither for nor against the quota
    free = _free_bytes(recordings_dir)
    cutoff = now - policy.max_days * 86400 if policy.max_days > 0 else float("-inf")
    deleted = freed = 0
    for seg in segments:
        too_old = seg.end < cutoff
        over_quota = policy.max_bytes > 0 and total > policy.max_bytes
        low_disk = free is not None and policy.min_free_bytes > 0 and free + freed < policy.min_free_bytes
        if not (too_old or over_quota or low_disk):
            break  # the rest are newer and fit
        path = recordings_dir / seg.path
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("retention: cannot delete %s: %s", path, exc)
            continue
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # empty day folder
        assert seg.id is not None
        remove_segment(db, seg.id)
        total -= seg.bytes
        freed += seg.bytes
        deleted += 1
    if deleted:
        log.info("retention: deleted %d segments (%.1f MB)", deleted, freed / 1e6)
    return RetentionReport(deleted, freed)


def _free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


class RecordingManager:
    """Starts a Recorder for every enabled camera with ``record`` set and applies retention every minute."""

    def __init__(
        self,
        cameras: Sequence[CameraConfig],
        recordings_dir: Path,
        db_path: Path,
        policy: RetentionPolicy | None = None,
        feeds: Mapping[str, FrameFeed] | None = None,
        *,
        settings: RecorderSettings | None = None,
    ) -> None:
        self.recordings_dir = recordings_dir
        self.policy = policy or RetentionPolicy()
        self._db_path = db_path
        self._db: Database | None = None
        self._db_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.settings = settings or RecorderSettings()
        self.reindexed: list[Segment] = []  # segments found on disk without an index row at start
        self._started_at: float | None = None
        self._all_cameras = [c.id for c in cameras]
        feeds = feeds or {}
        self.recorders = {
            c.id: Recorder(c, recordings_dir, self._index, self.settings, feeds.get(c.id))
            for c in cameras
            if c.enabled and c.record
        }

    def _open(self) -> Database:
        if self._db is None:
            from app.store.db import open_db  # migrates: the recordings table is step 4

            self._db = open_db(self._db_path)
        return self._db

    def _index(self, seg: Segment) -> None:
        with self._db_lock:
            add_segment(self._open(), seg)

    def start(self) -> None:
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        with self._db_lock:
            self._open()
        self._started_at = time.time()  # files written from now on are this run's: the recorders index them
        self._stop.clear()
        for r in self.recorders.values():
            r.start()
        self._thread = threading.Thread(target=self._retention_loop, name="recording-retention", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for r in self.recorders.values():
            r.request_stop()  # ask all at once, then wait: segments close in parallel
        for r in self.recorders.values():
            r.stop(max(0.1, deadline - time.monotonic()))
        if self._thread:
            self._thread.join(max(0.1, deadline - time.monotonic()))
        with self._db_lock:
            if self._db is not None:
                self._db.conn.close()
                self._db = None

    def _camera_ids(self, db: Database) -> list[str]:
        """The configured recorded cameras and every camera already in the index."""
        return [*self.recorders, *recorded_cameras(db), *self._all_cameras]

    def add_camera(self, cam: CameraConfig, feed: FrameFeed | None = None) -> None:
        """Start recording a camera added while recording runs (replaces a recorder of the same id)."""
        old = self.detach(cam.id)
        if old is not None:
            old.stop()
        recorder = Recorder(cam, self.recordings_dir, self._index, self.settings, feed)
        self.recorders[cam.id] = recorder
        if self._thread is not None and not self._stop.is_set():
            recorder.start()

    def detach(self, camera_id: str) -> Recorder | None:
        """Take a camera's recorder out of the manager (the caller stops it); None if it had none."""
        return self.recorders.pop(camera_id, None)

    def statuses(self) -> list[RecorderStatus]:
        return [r.status for r in self.recorders.values()]

    def run_retention(self) -> RetentionReport:
        with self._db_lock:
            return apply_retention(self._open(), self.recordings_dir, self.policy)

    def reindex(self) -> list[Segment]:
        """Index segment files of earlier runs that have no row (the folder is scanned without holding the
        database, so recorders keep indexing meanwhile)."""
        with self._db_lock:
            db = self._open()
            known, cams = indexed_paths(db), self._camera_ids(db)
        found = unindexed_segments(self.recordings_dir, cams, known, self._started_at)
        with self._db_lock:
            self.reindexed = add_found(self._open(), found)
        return self.reindexed

    def _retention_loop(self) -> None:
        try:  # first, so retention sees the re-indexed segments too
            self.reindex()
        except Exception:
            log.exception("re-indexing the recordings folder failed")
        while not self._stop.is_set():
            try:
                self.run_retention()
            except Exception:
                log.exception("retention failed")
            self._stop.wait(60.0)
