"""Helpers for the clips tests (real H.264 files made with ffmpeg, recordings, a fake audit sink)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import cv2
import pytest

from app.clips.index import Segment, add_segment
from app.clips.recorder import Recorder, RecorderSettings
from app.config import CameraConfig
from app.store.db import open_db

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="needs ffmpeg (apt-get install ffmpeg)")


def make_h264(path: Path, seconds: float, size: tuple[int, int] = (320, 240), fps: int = 15) -> Path:
    """A real H.264 MP4 from ffmpeg's test pattern, one keyframe a second."""
    assert FFMPEG
    w, h = size
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc=size={w}x{h}:rate={fps}", "-t", f"{seconds}", "-c:v", "libx264",
         "-preset", "ultrafast", "-g", str(fps), "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def decode_count(path: Path) -> tuple[int, float]:
    """(frames, fps) by decoding every frame with OpenCV."""
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"cannot open {path}"
    fps = cap.get(cv2.CAP_PROP_FPS)
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n, fps


class FakeAudit:
    """Collects audit entries (the real AuditLog is wired by the CLI / integrator)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, dict[str, Any]]] = []

    def append(self, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
        self.entries.append((actor, action, target, details))


def record_file(
    source: Path, rec_dir: Path, db_path: Path, camera_id: str = "cam1", segment_s: float = 1.0
) -> list[Segment]:
    """Record ``source`` to its end (as fast as it reads) into ``rec_dir`` and index it in ``db_path``."""
    segs: list[Segment] = []
    cam = CameraConfig(camera_id, camera_id.upper(), "site", str(source), loop=False, record=True)
    rec = Recorder(cam, rec_dir, segs.append, RecorderSettings(segment_s=segment_s, realtime=False))
    rec.start()
    assert rec.wait_finished(30), rec.status
    db = open_db(db_path)  # the station's database, migrated (recordings table included)
    for s in segs:
        add_segment(db, s)
    db.conn.close()
    return segs


@needs_ffmpeg
def test_make_h264_is_a_real_h264_file(tmp_path: Path) -> None:
    clip = make_h264(tmp_path / "a.mp4", 2)
    assert decode_count(clip) == (30, 15.0)
    probe = subprocess.run(
        [FFMPEG or "ffmpeg", "-hide_banner", "-i", str(clip)], capture_output=True, text=True
    )
    assert "Video: h264" in probe.stderr
