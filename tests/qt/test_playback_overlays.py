"""Overlays in playback on real video (a shared clip of a man without a mask recorded as a segment): where the
store has no face boxes for the moment, the export-time analysis runs on the decoded frame in a background
thread (MediaPipe in a child process, never in this Qt process) and the tile says "overlay: analysed now";
where a stored event has a box, that box is drawn and the tile says "overlay: stored"; B switches boxes off."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF, QSettings

from app.playback.analysed import playback_models
from app.playback.overlays import OverlaySource
from app.store.db import open_db
from tests.playback_media import SHARED_VIDEO, needs_ffmpeg, record_clip
from tests.qt.scripted_station import ScriptedStation, make_config
from widgets.paint.overlay import VERDICT_COLOURS, face_state, fit_rect
from widgets.shell.main_window import StationWindow

CLIP = SHARED_VIDEO / "man_no_mask_360p.mp4"
pytestmark = [
    needs_ffmpeg,
    pytest.mark.skipif(not CLIP.exists(), reason=f"needs the shared test videos ({CLIP} is missing)"),
]
T0 = 1772370000.0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """cam0 and cam1 recorded the same clip; only cam1 has a stored event (a box at 3 s)."""
    d = tmp_path_factory.mktemp("overlays")
    db, rec = d / "vigil.sqlite3", d / "recordings"
    record_clip(rec, db, "cam0", T0, CLIP)
    record_clip(rec, db, "cam1", T0, CLIP)
    conn = open_db(db)
    conn.execute("INSERT INTO events(at, camera_id, kind, details) VALUES (?, ?, ?, ?)",
                 [T0 + 3.0, "cam1", "no_mask", json.dumps({"box": [250, 60, 330, 150], "frame": [640, 360]})])  # fmt: skip
    conn.conn.commit()
    conn.conn.close()
    return db, rec


def test_analysed_where_nothing_is_stored_stored_where_it_is_and_b_switches_boxes_off(qtbot, tmp_path, store) -> None:
    db, rec = store
    station = ScriptedStation(make_config(2, sites=1), db_path=str(db))
    station.recordings_dir = rec  # type: ignore[attr-defined]
    w = StationWindow(station, QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1400, 800)
    w.show()
    qtbot.waitExposed(w)
    view = w.playback.open(["cam0", "cam1"], T0 + 3.0)
    analysed, stored = view.tiles
    try:
        def settled() -> bool:
            view.refresh()
            return analysed.overlay_text() == "overlay: analysed now"

        # the first analysis starts the detector's child process: slow on a busy machine
        qtbot.waitUntil(settled, timeout=180_000)
        assert "mediapipe" not in sys.modules  # the detector ran in its child process
        moment = view.analyser.latest("cam0")
        assert moment is not None and moment.result is not None
        faces = moment.result.faces
        assert faces, "no face found on the clip's frame"
        shown = analysed.shown
        assert shown is not None and abs(moment.at - shown.at) < 0.5
        face = max(faces, key=lambda f: f.bbox.size)
        fw, fh = moment.result.frame_size
        assert fw == 640 and 0.2 * fw < (face.bbox.x1 + face.bbox.x2) / 2 < 0.8 * fw  # the man in the middle
        # the box is drawn on the tile in its verdict's colour
        img = analysed.grab().toImage()
        target = fit_rect(fw, fh, QRectF(analysed.rect()).adjusted(1, 1, -1, -1))
        sx = target.width() / fw
        x = target.left() + (face.bbox.x1 + face.bbox.x2) / 2 * sx
        y = target.top() + face.bbox.y2 * sx
        colour = VERDICT_COLOURS[face_state(face)]
        near = [img.pixelColor(int(x), int(y) + dy) for dy in range(-2, 3)]
        assert colour in near, f"no {colour.name()} box edge at the face (saw {[c.name() for c in near]})"

        # the other camera has a stored event at this moment: its box, nothing analysed
        assert stored.overlay is OverlaySource.STORED
        assert stored.overlay_text() == "overlay: stored"
        assert view.analyser.latest("cam1") is None

        # B (the wall's switch) turns boxes off in playback too: no badge, no analysis asked
        w.activateWindow()
        w.actions_.boxes.trigger()
        view.refresh()
        assert not view.options.boxes
        assert analysed.overlay is OverlaySource.NONE and analysed.overlay_text() == ""
        count = view.analyser.analysed
        view.seek(T0 + 5.0)
        qtbot.waitUntil(lambda: (view.refresh(), analysed.shown is not None and analysed.shown.at > T0 + 4.9)[1],
                        timeout=5000)  # fmt: skip
        qtbot.wait(300)
        view.refresh()
        assert view.analyser.analysed == count and not view.analyser.pending("cam0")
    finally:
        w.close()
    assert view.analyser._thread is None or not view.analyser._thread.is_alive()


def test_playback_models_keep_mediapipe_out_of_this_process() -> None:
    models = playback_models()
    detector = models.detector()
    try:
        assert type(detector).__name__ == "ChildProcessDetector"
    finally:
        detector.close()
    assert "mediapipe" not in sys.modules
