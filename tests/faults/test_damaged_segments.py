"""A truncated recording segment (cut in half: its MP4 index is missing) and a garbled one in the recordings
folder: ``vigil export`` of a range holding them exports the rest, names each skipped segment in one line, in
the summary and in the manifest, and exits 3; a range where every segment is damaged is one line and exit 2.
No traceback anywhere. Real ffmpeg-made H.264 files, a real store, the real CLI process."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from app.clips.index import Segment, probe_video
from app.clips.mp4 import mp4_damage
from app.clips.naming import utc_iso
from tests.faults.conftest import report
from tests.playback_media import frame_number, needs_ffmpeg, record_camera

pytestmark = needs_ffmpeg
REPO = Path(__file__).resolve().parents[2]
FPS = 15
T0 = 1772370000.0  # 2026-03-01 13:00:00 UTC


def damage(rec: Path, seg: Segment, how: str) -> None:
    path = rec / seg.path
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]  # the index (moov) is written last: it is gone
    else:
        rng = random.Random(15)
        data[:4096] = bytes(rng.randrange(256) for _ in range(4096))
    path.write_bytes(bytes(data))


@pytest.fixture
def station(tmp_path: Path) -> tuple[Path, Path, list[Segment]]:
    """cam0 recorded 0-40 s as four 10 s segments; the second is truncated, the third garbled."""
    db, rec = tmp_path / "vigil.sqlite3", tmp_path / "recordings"
    segs = record_camera(rec, db, "cam0", T0, [(0, 40)], FPS, segment_s=10.0)
    damage(rec, segs[1], "truncated")
    damage(rec, segs[2], "garbled")
    return db, rec, segs


def export(tmp: Path, db: Path, rec: Path, start: float, end: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "VIGIL_CONFIG_DIR": str(tmp / "config"),
           "VIGIL_DATA_DIR": str(tmp / "data")}  # fmt: skip
    args = ["export", "--camera", "cam0", "--from", utc_iso(start), "--to", utc_iso(end), "--out", str(tmp / "out"),
            "--reason", "damaged segment test", "--case", "D-1", "--db", str(db), "--recordings", str(rec)]  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_damage_is_named(station: tuple[Path, Path, list[Segment]]) -> None:
    _, rec, segs = station
    assert "index" in (mp4_damage(rec / segs[1].path) or "") and "truncated" in (
        mp4_damage(rec / segs[1].path) or ""
    )
    assert "garbled" in (mp4_damage(rec / segs[2].path) or "")
    assert mp4_damage(rec / segs[0].path) is None and mp4_damage(rec / segs[3].path) is None


def test_export_skips_damaged_segments_and_says_which(
    tmp_path: Path, station: tuple[Path, Path, list[Segment]]
) -> None:
    db, rec, segs = station
    proc = export(tmp_path, db, rec, T0 + 2, T0 + 38)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    skipped = [ln for ln in proc.stderr.splitlines() if "skipped damaged recording" in ln]
    assert len(skipped) == 2, proc.stderr
    assert segs[1].path in skipped[0] and "truncated" in skipped[0]
    assert segs[2].path in skipped[1] and "garbled" in skipped[1]
    assert not any("nothing recorded" in ln for ln in proc.stderr.splitlines())  # damaged is not a gap
    manifest = Path(proc.stdout.strip().splitlines()[-1])
    folder = manifest.parent
    data = json.loads(manifest.read_text())
    cam = data["cameras"][0]
    assert [s["path"] for s in cam["skipped_segments"]] == [segs[1].path, segs[2].path]
    assert "truncated" in cam["skipped_segments"][0]["why"] and "garbled" in cam["skipped_segments"][1]["why"]
    assert [s["path"] for s in cam["source_segments"]] == [segs[0].path, segs[3].path]
    assert cam["gaps"] == []
    summary = (folder / "summary.txt").read_text()
    assert summary.count("SKIPPED (recording damaged") == 2
    # the video holds the two good segments' part of the range: frames 30-149 (from 2 s, a key frame) and 450-569
    video = folder / cam["file"]
    info = probe_video(video)
    cap = cv2.VideoCapture(str(video))
    numbers = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        numbers.append(frame_number(img))
    cap.release()
    assert numbers[0] == 30 and 149 in numbers and 450 in numbers and numbers[-1] >= 569
    assert not set(numbers) & set(range(150, 450))  # nothing of the damaged segments' time
    assert len(numbers) == info.frames == 240
    verify = subprocess.run([sys.executable, "-m", "app", "verify", str(folder)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "VIGIL_DATA_DIR": str(tmp_path / "data"),
                                 "VIGIL_CONFIG_DIR": str(tmp_path / "config")}, timeout=60)  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    report("damaged_segment_export", skipped=2, exported_frames=info.frames, exit_code=proc.returncode)


def test_a_range_of_damaged_segments_only_is_one_line(
    tmp_path: Path, station: tuple[Path, Path, list[Segment]]
) -> None:
    db, rec, segs = station
    proc = export(tmp_path, db, rec, T0 + 12, T0 + 28)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("export")]
    assert len(lines) == 1, proc.stderr
    assert "damaged" in lines[0] and segs[1].path in lines[0] and segs[2].path in lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
