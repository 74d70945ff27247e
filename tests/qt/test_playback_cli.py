"""``vigil --playback TIME --camera ID``: the real window on the real station opens in the Playback tab at
that local time, showing the recorded frame of that moment."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app import paths
from app.__main__ import main as vigil_main
from tests.media import make_clip
from tests.playback_media import frame_number, needs_ffmpeg, record_camera

FPS = 15
T0 = float(int(time.time()) - 7200)  # two hours ago, a whole second


@needs_ffmpeg
def test_vigil_playback_opens_the_window_in_playback_at_that_time(qapp, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "lobby.mp4", frames=30, size=(320, 240))
    db = tmp_path / "v.sqlite3"
    record_camera(paths.data_dir() / "recordings", db, "cam1", T0, [(0, 20)], FPS)
    seen: dict[str, object] = {}

    def inspect_and_quit() -> None:
        window = next(
            w for w in QApplication.topLevelWidgets() if type(w).__name__ == "StationWindow" and w.isVisible()
        )
        view = window.playback.view
        seen["tab"] = window.tabs.currentWidget() is view
        seen["cameras"] = view.cameras()
        seen["position"] = view.position()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (view.tiles and view.tiles[0].shown is None):
            QApplication.processEvents()
            view.refresh()
            time.sleep(0.02)
        shown = view.tiles[0].shown if view.tiles else None
        seen["frame"] = frame_number(shown.image) if shown is not None else None
        window.close()

    QTimer.singleShot(3000, inspect_and_quit)
    at = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(T0 + 12))
    rc = vigil_main(["--source", str(clip), "--no-config", "--db", str(db), "--analysis", "off",
                     "--playback", at, "--camera", "cam1"])  # fmt: skip
    assert rc == 0
    assert seen["tab"] is True and seen["cameras"] == ["cam1"]
    assert seen["position"] == T0 + 12  # paused at the asked moment
    assert seen["frame"] == 12 * FPS  # the frame recorded then
