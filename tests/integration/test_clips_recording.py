"""Recording real H.264 files and frames into indexed segments; retention; the station-wide manager."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from app.capture.slot import LatestSlot
from app.clips.index import Segment, add_segment, all_segments, probe_video
from app.clips.recorder import RecorderSettings, RecorderState, RecordMode, camera_dir
from app.clips.recording import RecordingManager, RetentionPolicy, apply_retention
from app.config import CameraConfig
from app.domain import Frame
from tests.integration.test_clips_support import decode_count, make_h264, needs_ffmpeg, record_file


@needs_ffmpeg
def test_recording_a_file_makes_complete_indexed_segments(tmp_path: Path) -> None:
    src = make_h264(tmp_path / "src.mp4", 4)
    rec_dir, db_path = tmp_path / "rec", tmp_path / "vigil.sqlite3"
    before = time.time()
    segs = record_file(src, rec_dir, db_path, segment_s=1)

    rows = all_segments(Database(str(db_path)), "cam1")
    assert len(rows) == len(segs) >= 3
    assert sum(r.frames for r in rows) == 60  # every source frame, none lost or duplicated
    for r in rows:
        path = rec_dir / r.path
        assert path.suffix == ".mp4" and path.stat().st_size == r.bytes
        assert decode_count(path)[0] == r.frames  # a finished file a real decoder plays to the end
        assert r.codec == "h264" and (r.width, r.height) == (320, 240)
        assert before - 1 <= r.start < r.end <= time.time() + 6
    for a, b in zip(rows, rows[1:], strict=False):
        assert abs(b.start - a.end) < 0.2  # contiguous, in order
    leftovers = [p for p in (rec_dir / "cam1").rglob("*") if p.is_file() and p.suffix != ".mp4"]
    assert leftovers == []  # no .part or list files left behind


def _frame(cam: str, seq: int, t: float) -> Frame:
    img = np.full((120, 160, 3), (seq * 5) % 255, np.uint8)
    return Frame(cam, seq, img, t, time.monotonic())


@needs_ffmpeg
def test_usb_camera_frames_are_encoded_at_a_steady_rate(tmp_path: Path) -> None:
    slot: LatestSlot[Frame] = LatestSlot()
    stop = threading.Event()

    def produce() -> None:  # a 10 fps camera
        seq = 0
        while not stop.is_set():
            slot.put(_frame("usb", seq, time.time()))
            seq += 1
            stop.wait(0.1)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    db_path = tmp_path / "vigil.sqlite3"
    cam = CameraConfig("usb", "USB", "site", "0", record=True)
    settings = RecorderSettings(segment_s=1.0, fps=15.0)
    mgr = RecordingManager([cam], tmp_path / "rec", db_path, feeds={"usb": slot}, settings=settings)
    mgr.start()
    time.sleep(3.0)
    status = mgr.statuses()[0]
    mgr.stop(10)
    stop.set()
    producer.join()

    assert status.mode is RecordMode.PIPE and status.state is RecorderState.RECORDING
    rows = all_segments(Database(str(db_path)), "usb")
    assert len(rows) >= 2
    total = sum(r.frames for r in rows)
    assert 15 * 2 <= total <= 15 * 4  # 15 fps output for ~3 s, whatever the camera's rate
    for r in rows:
        assert probe_video(tmp_path / "rec" / r.path).frames == r.frames


def test_manager_records_only_cameras_with_record_on(tmp_path: Path) -> None:
    cams = [
        CameraConfig("a", "A", "s", "rtsp://u:pw@127.0.0.1:1/x", record=True),
        CameraConfig("b", "B", "s", "rtsp://127.0.0.1:1/y", record=False),
        CameraConfig("c", "C", "s", "rtsp://127.0.0.1:1/z", record=True, enabled=False),
    ]
    mgr = RecordingManager(cams, tmp_path / "rec", tmp_path / "db.sqlite3")
    assert list(mgr.recorders) == ["a"]


def _fake_segment(rec_dir: Path, cam: str, start: float, size: int) -> Segment:
    path = camera_dir(rec_dir, cam) / "day" / f"{int(start)}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return Segment(
        cam, start, start + 60, path.relative_to(rec_dir).as_posix(), size, 900, 15.0, 320, 240, "h264"
    )


def test_retention_by_days_deletes_the_oldest_files_and_rows(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "db.sqlite3"))
    rec = tmp_path / "rec"
    now = 1_700_000_000.0
    day = 86400.0
    for age_days in (10, 5, 3, 1, 0.1):
        add_segment(db, _fake_segment(rec, "cam1", now - age_days * day, 100))
    report = apply_retention(db, rec, RetentionPolicy(max_days=4, max_bytes=0, min_free_bytes=0), now=now)
    assert report.deleted == 2 and report.freed_bytes == 200
    left = all_segments(db)
    assert [round((now - s.start) / day, 1) for s in left] == [3.0, 1.0, 0.1]
    assert sorted(p.name for p in rec.rglob("*.mp4")) == sorted(Path(s.path).name for s in left)


def test_retention_by_quota_deletes_oldest_first_across_cameras(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "db.sqlite3"))
    rec = tmp_path / "rec"
    now = 1_700_000_000.0
    starts = {"a": [now - 500, now - 300, now - 100], "b": [now - 400, now - 200]}
    for cam, ss in starts.items():
        for s in ss:
            add_segment(db, _fake_segment(rec, cam, s, 1000))
    apply_retention(db, rec, RetentionPolicy(max_days=0, max_bytes=2500, min_free_bytes=0), now=now)
    left = all_segments(db)
    assert [(s.camera_id, now - s.start) for s in left] == [("b", 200), ("a", 100)]
    assert len(list(rec.rglob("*.mp4"))) == 2
