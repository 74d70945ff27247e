"""A full disk during recording or export: clean stop, a message, no half-written file that looks complete.

Uses a tiny tmpfs (needs root or CAP_SYS_ADMIN; skipped elsewhere)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.clips.export import Exporter, ExportRequest
from app.clips.ffmpeg import DiskFullError
from app.clips.recorder import Recorder, RecorderSettings, RecorderState
from app.config import CameraConfig
from tests.integration.test_clips_support import FakeAudit, make_h264, needs_ffmpeg, record_file

pytestmark = needs_ffmpeg


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_export_to_a_full_disk_fails_cleanly(tmp_path: Path, tiny_disk: Path) -> None:
    src = make_h264(tmp_path / "src.mp4", 4, size=(640, 480))
    db_path, rec = tmp_path / "vigil.sqlite3", tmp_path / "rec"
    segs = record_file(src, rec, db_path, segment_s=2)
    audit = FakeAudit()
    with pytest.raises(DiskFullError, match="disk full"):
        Exporter(db_path, rec, audit).run(
            ExportRequest(("cam1",), segs[0].start, segs[-1].end, tiny_disk, reason="r", overlays=True)
        )
    assert list(tiny_disk.iterdir()) == []  # the part folder is gone
    assert audit.entries[-1][1] == "export_failed" and "disk full" in audit.entries[-1][3]["error"]


def test_recording_to_a_full_disk_stops_with_a_message_and_no_partial_files(
    tmp_path: Path, tiny_disk: Path
) -> None:
    src = make_h264(tmp_path / "src.mp4", 6, size=(640, 480))
    segs: list = []
    cam = CameraConfig("cam1", "C", "s", str(src), loop=False, record=True)
    rec = Recorder(cam, tiny_disk, segs.append, RecorderSettings(segment_s=1, realtime=False))
    rec.start()
    deadline = time.monotonic() + 20
    while rec.status.state is not RecorderState.ERROR and time.monotonic() < deadline:
        time.sleep(0.05)
    status = rec.status
    rec.stop(10)
    assert status.state is RecorderState.ERROR and "disk full" in status.message
    left = [p for p in tiny_disk.rglob("*") if p.is_file()]
    assert all(p.suffix == ".mp4" for p in left)  # only finished segments, never a .part
    assert len(left) == len(segs)  # every file on disk is indexed and complete
