"""A complete segment file without its index row (a disk that filled between ffmpeg closing the segment and
the row being written) is indexed again when recording starts: one log line, the same start, end and frames,
and playback's lookup and export find it again. ``.part`` files, damaged files and files already indexed are
left alone. Real ffmpeg-made segments and the real RecordingManager over a real store."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from app.clips.export import Exporter, ExportRequest
from app.clips.index import all_segments, remove_segment
from app.clips.naming import utc_stamp
from app.clips.recording import RecordingManager, RetentionPolicy
from app.playback.lookup import RecordingLookup
from app.store.db import open_db
from tests.playback_media import needs_ffmpeg, record_camera

pytestmark = needs_ffmpeg
FPS = 15
T0 = 1772370000.0  # 2026-03-01 13:00:00 UTC
KEEP = RetentionPolicy(max_days=0, min_free_bytes=0)  # retention must not delete the test's old segments


def test_an_unindexed_segment_is_found_again_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIL_KEY_DIR", str(tmp_path / "keys"))
    db_path, rec = tmp_path / "vigil.sqlite3", tmp_path / "recordings"
    segs = record_camera(rec, db_path, "cam0", T0, [(0, 30)], FPS, segment_s=10.0)
    lost = segs[1]
    # the recorder's layout: <camera>/<day>/<UTC start>.mp4; the helper writes <camera>/<UTC start>.mp4
    db = open_db(db_path)
    assert lost.id is not None
    remove_segment(db, lost.id)
    # leftovers that must not be indexed: an unfinished part, a hidden folder's file, a damaged copy
    incoming = rec / "cam0" / ".incoming"
    incoming.mkdir()
    shutil.copy(rec / lost.path, incoming / "run1_000001.mp4.part")
    shutil.copy(rec / lost.path, incoming / "run1_000002.mp4")
    broken = rec / "cam0" / f"{utc_stamp(T0 + 40, ms=True)}.mp4"
    broken.write_bytes((rec / lost.path).read_bytes()[:5000])
    db.conn.close()
    lookup = RecordingLookup(db_path)
    assert lookup.segment_at("cam0", T0 + 15) is None  # the gap playback showed before
    lookup.close()

    caplog.set_level(logging.INFO, logger="vigil.clips")
    manager = RecordingManager([], rec, db_path, KEEP)  # no camera records here: no ffmpeg is started
    manager.start()
    manager.stop()
    lines = [r.getMessage() for r in caplog.records if "re-indexed" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("re-indexed 1 recording segments")
    assert [s.path for s in manager.reindexed] == [lost.path]
    again = manager.reindexed[0]
    assert again.start == pytest.approx(lost.start, abs=0.001) and again.end == pytest.approx(
        lost.end, abs=0.001
    )
    assert again.frames == lost.frames == 10 * FPS and again.camera_id == "cam0"

    db = open_db(db_path)
    assert len(all_segments(db, "cam0")) == 3
    db.conn.close()
    lookup = RecordingLookup(db_path)
    found = lookup.segment_at("cam0", T0 + 15)
    lookup.close()
    assert found is not None and found.path == lost.path  # playback finds it

    result = Exporter(db_path, rec).run(
        ExportRequest(("cam0",), T0 + 5, T0 + 25, tmp_path / "out", reason="re-index test")
    )
    (cam,) = result.cameras
    assert lost.path in [s.path for s in cam.segments] and cam.gaps == ()  # export finds it: no gap

    caplog.clear()
    manager = RecordingManager([], rec, db_path, KEEP)
    manager.start()
    manager.stop()
    assert manager.reindexed == []  # indexed once, not again
    assert not [r for r in caplog.records if "re-indexed" in r.getMessage()]
