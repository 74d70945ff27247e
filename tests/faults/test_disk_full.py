"""The disk fills while the station records and writes events (a small tmpfs holds the database and the
recordings; a filler file takes the rest): recording stops with a clear status, no half-written video is
left, the writer keeps its items in memory, and both resume by themselves when space returns."""

from __future__ import annotations

import contextlib
import errno
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from app.clips.recorder import RESUME_FREE_BYTES, RecorderSettings, RecorderState
from app.clips.recording import RecordingManager, RetentionPolicy
from app.config import CameraConfig
from app.domain import Event, EventKind
from app.store import StoreReader, StoreWriter, integrity_check
from tests.faults.conftest import FaultSettings, report, wait_until
from tests.integration.test_clips_support import make_h264, needs_ffmpeg

pytestmark = needs_ffmpeg


def _disk_mb(faults: FaultSettings) -> int:
    """12 MB, and 8 MB more for each further cycle: the recordings of the earlier cycles stay on it."""
    return 12 + 8 * (faults.count("disk_full_cycles", 1, 3) - 1)


@pytest.fixture
def small_disk(tmp_path: Path, faults: FaultSettings) -> Iterator[Path]:
    mnt = tmp_path / "small"
    mnt.mkdir()
    size = f"size={_disk_mb(faults)}m"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(path: Path) -> int:
    """Write ``path`` (appending) until the disk is full; the bytes written. Unbuffered, so a write that
    fails part-way leaves nothing for ``close()`` to retry; a disk that is full already writes 0 bytes."""
    written = 0
    chunk = b"\0" * 65536
    try:
        with path.open("ab", buffering=0) as f:
            while True:
                n = f.write(chunk)
                if not n:
                    break
                written += n
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    return written


def _videos(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.mp4") if "incoming" not in p.parts)


def _frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_disk_full_during_recording_and_writes_then_space_returns(
    tmp_path: Path, small_disk: Path, faults: FaultSettings
) -> None:
    cycles = faults.count("disk_full_cycles", 1, 3)
    src = make_h264(tmp_path / "cam.mp4", 6, size=(640, 480))
    db, rec = small_disk / "vigil.sqlite3", small_disk / "recordings"
    errors: list[str] = []
    writer = StoreWriter(db, flush_interval_s=0.05, on_error=errors.append)
    writer.start()
    cam = CameraConfig("cam1", "Entrance", "m", str(src), record=True, loop=True)
    manager = RecordingManager(
        [cam], rec, db, RetentionPolicy(min_free_bytes=0), settings=RecorderSettings(segment_s=1.0)
    )
    stop = threading.Event()
    submitted = 0

    def busy_station() -> None:  # events with face crops, as a busy hall produces them
        nonlocal submitted
        while not stop.wait(0.05):
            writer.submit(
                Event(
                    time.time(),
                    "cam1",
                    EventKind.NO_MASK,
                    track_id=submitted,
                    thumbnail_jpeg=bytes(range(256)) * 40,
                )
            )
            submitted += 1

    producer = threading.Thread(target=busy_station, daemon=True)
    manager.start()
    producer.start()
    recorder = manager.recorders["cam1"]
    filler = small_disk / "filler.bin"
    resumed_s: list[float] = []
    try:
        for cycle in range(cycles):
            before = recorder.status.segments
            wait_until(
                lambda b=before: recorder.status.segments >= b + 2, 60, "segments before the disk fills"
            )
            _fill(filler)
            wait_until(lambda: recorder.status.state is RecorderState.ERROR, 60, "recording stops: disk full")
            wait_until(lambda: writer.stats().failing, 30, "the writer reports the full disk")
            status = recorder.status
            assert "disk full" in status.message and "paused until space is freed" in status.message
            assert any("full" in e and str(db) in e for e in errors), errors
            assert writer.stats().dropped == 0  # kept in memory, not lost
            _fill(filler)  # take what the recorder's clean-up of its unfinished segment gave back
            time.sleep(1.5)
            assert not list(rec.rglob("*.part")), "a half-written segment was left"
            assert recorder.status.state is RecorderState.ERROR, "retried into the full disk"
            with StoreReader(db) as reader:  # what was stored stays readable meanwhile
                assert reader.counts()["events"] > 0
            filler.unlink()
            freed = time.monotonic()
            free = shutil.disk_usage(small_disk).free
            assert free >= RESUME_FREE_BYTES, f"test set-up: only {free} bytes free after the filler went"
            segs = recorder.status.segments
            wait_until(
                lambda s=segs: recorder.status.segments > s, 90, f"recording resumes (cycle {cycle + 1})"
            )
            assert writer.flush(timeout=60), "the writer did not catch up after space returned"
            resumed_s.append(time.monotonic() - freed)
    finally:
        stop.set()
        producer.join(5)
        manager.stop()
        writer.stop(10)
        with contextlib.suppress(FileNotFoundError):
            filler.unlink()
    assert integrity_check(db) == ["ok"]
    with StoreReader(db) as reader:
        assert reader.counts()["events"] == submitted  # every event survived the full disk
    videos = _videos(rec)
    assert videos and all(_frames(p) > 0 for p in videos)  # only complete, playable segments
    with sqlite3.connect(db) as con:
        indexed = con.execute("select count(*) from recordings").fetchone()[0]
    # the next start indexes any segment whose row the full disk lost: every file on disk is indexed then
    restarted = RecordingManager(
        [cam], rec, db, RetentionPolicy(min_free_bytes=0), settings=RecorderSettings(segment_s=1.0)
    )
    restarted.recorders.clear()  # only the start-up scan, no new recording
    restarted.start()
    restarted.stop()
    with sqlite3.connect(db) as con:
        paths = {r[0] for r in con.execute("select path from recordings")}
    assert {p.relative_to(rec).as_posix() for p in videos} <= paths
    report(
        "disk_full",
        cycles=cycles,
        events=submitted,
        segments_on_disk=len(videos),
        segments_indexed=indexed,
        reindexed_at_next_start=len(restarted.reindexed),
        max_resume_s=round(max(resumed_s), 1),
        store_errors=len(errors),
        disk_mb=_disk_mb(faults),
    )
