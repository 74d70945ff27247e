"""``vigil --source FILE``: the real window on the real station (capture only), and what gets saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app import paths
from app.__main__ import main as vigil_main
from app.cli.gui import without_session
from app.config import CameraConfig, SiteConfig, StationConfig
from tests.media import make_clip


def test_session_cameras_are_not_saved() -> None:
    saved = StationConfig(
        sites=(SiteConfig("n", "North"),), cameras=(CameraConfig("door", "Door", "n", "0"),)
    )
    session = StationConfig(
        sites=(*saved.sites, SiteConfig("default", "Default site")),
        cameras=(*saved.cameras, CameraConfig("cam1", "clip", "default", "/v/clip.mp4")),
    )
    edited = StationConfig(
        sites=(*session.sites, SiteConfig("s", "South")),
        cameras=(*session.cameras, CameraConfig("gate", "Gate", "s", "1")),
    )
    out = without_session(edited, saved, session)
    assert [c.id for c in out.cameras] == ["door", "gate"]
    assert [s.id for s in out.sites] == ["n", "s"]


def test_vigil_source_opens_the_wall_on_a_video(qapp, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "lobby.mp4", frames=60, size=(320, 240))
    seen: dict[str, object] = {}

    def inspect_and_quit() -> None:
        window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "StationWindow")
        window.clock.tick()
        tile = window.grid.tile_for("cam1")
        seen["camera"] = tile.feed.camera.name if tile else None
        seen["frame"] = tile.current_frame() if tile else None
        seen["status"] = window.status.cameras.text()
        window.close()  # as an operator would: closing the window ends the session

    QTimer.singleShot(3000, inspect_and_quit)
    rc = vigil_main(
        ["--source", str(clip), "--no-config", "--db", str(tmp_path / "v.sqlite3"), "--analysis", "off"]
    )
    assert rc == 0
    assert seen["camera"] == "lobby"
    assert seen["frame"] is not None and seen["frame"].width == 320
    assert seen["status"] == "Cameras 1/1 live"
    settings = QSettings(str(paths.config_dir() / "gui.ini"), QSettings.Format.IniFormat)
    assert settings.value("layouts/current/main")  # the window saved its state on the way out
