"""The station window: keyboard shortcuts, live events from worker threads, alerts, persistence, status
bar, camera manager round trip, and no camera password in any text a user can see."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from app.domain import CameraStatus, Event, EventKind, Health
from tests.media import make_clip
from tests.qt.scripted_station import ScriptedStation, grey_frame, make_config
from tests.qt.test_camera_manager import all_texts
from widgets.shell.main_window import StationWindow

SECRET = "Hunter2pass"


@pytest.fixture
def settings_path(tmp_path: Path) -> str:
    return str(tmp_path / "gui.ini")


def _window(qtbot, station: ScriptedStation, settings_path: str) -> StationWindow:
    w = StationWindow(
        station, QSettings(settings_path, QSettings.Format.IniFormat), acknowledge=station.acknowledge
    )
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


@pytest.fixture
def station() -> ScriptedStation:
    return ScriptedStation(make_config(12, sites=2))


@pytest.fixture
def window(qtbot, station: ScriptedStation, settings_path: str) -> StationWindow:
    return _window(qtbot, station, settings_path)


def _event(cam: str, kind: EventKind = EventKind.NO_MASK) -> Event:
    return Event(at=time.time(), camera_id=cam, kind=kind, track_id=7)


def test_layout_and_paging_keys(qtbot, window: StationWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.grid.spec.tile_count == 9
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.grid.spec.tile_count == 16
    qtbot.keyClick(window, Qt.Key.Key_2)
    assert window.grid.assignment() == ("cam0", "cam1", "cam2", "cam3")
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.grid.assignment() == ("cam4", "cam5", "cam6", "cam7")
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert window.grid.assignment()[0] == "cam0"
    window.grid.maximise(2)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.grid.maximised is None
    assert window.actions_.grid_combo.currentText() == "2x2"


def test_event_from_worker_thread_lists_flashes_and_acknowledges(qtbot, window, station) -> None:
    worker = threading.Thread(target=station.emit, args=(_event("cam1"),))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: window.events.rowCount() == 1)
    tile = window.grid.tile_for("cam1")
    assert tile is not None and tile._flash_until > time.monotonic()
    window.event_panel.select_row(0)
    assert tile._highlighted
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert [e.camera_id for e in station.acknowledged] == ["cam1"]
    assert window.events.is_acknowledged(0)
    station.emit(_event("cam2", EventKind.INCORRECT_MASK))
    qtbot.waitUntil(lambda: window.events.rowCount() == 2)
    window.event_panel.table.clearSelection()
    qtbot.keyClick(window, Qt.Key.Key_A)
    assert [e.camera_id for e in station.acknowledged] == ["cam1", "cam2"]


def test_flash_can_be_switched_off(qtbot, window, station) -> None:
    window.actions_.alert_flash.setChecked(False)
    station.emit(_event("cam0"))
    qtbot.waitUntil(lambda: window.events.rowCount() == 1)
    assert window.grid.tile_for("cam0")._flash_until == 0.0
    assert QSettings(window.settings.fileName(), QSettings.Format.IniFormat).value("alerts/flash") in (
        False,
        "false",
    )


def test_offline_status_shows_a_notice_not_a_dialog(qtbot, window, station) -> None:
    station.feed("cam3").health = Health.OFFLINE
    station.emit(CameraStatus("cam3", Health.OFFLINE, time.time(), "connection refused"))
    qtbot.waitUntil(lambda: window.notices.isVisible())
    assert "Entrance 3 is offline: connection refused" in window.notices.text()
    assert QApplication.activeModalWidget() is None  # a notice, never a modal dialog
    window.status.update_figures()
    assert window.status.cameras.text() == "Cameras 11/12 live"


def test_status_bar_figures(tmp_path, window, station) -> None:
    db = tmp_path / "vigil.sqlite3"
    db.write_bytes(b"x" * 3 * 1024 * 1024)
    station._db_path = str(db)
    station.fps = 23.5
    window.status.update_figures()
    assert window.status.analysis.text() == "Analysis 23.5 fps"
    # cameras run by the detection scheduler: the scan coverage (mean over cameras) joins the rate
    feeds = list(station.feeds().values())[:2]
    for feed, coverage in zip(feeds, (0.1, 0.3), strict=True):
        frame = feed.push_frame(np.zeros((72, 128, 3), np.uint8))
        feed.results.put(replace(_result_of(feed, frame), scan_coverage=coverage))
    window.status.update_figures()
    assert window.status.analysis.text() == "Analysis 23.5 fps · scan 20%/s"
    assert window.status.database.text() == "Database 3.0 MB"
    assert window.status.cpu.text().startswith("CPU ")
    assert window.status.memory.text().startswith("Memory ") and "MB" in window.status.memory.text()


def test_layout_and_geometry_restored_at_start(qtbot, station, settings_path) -> None:
    first = _window(qtbot, station, settings_path)
    first.grid.set_grid("1+7")
    first.grid.assign(0, "cam9")
    first.actions_.layout_combo.setCurrentText("Night shift")
    first.actions_.save_named_layout()
    first.resize(first.width(), 503)  # the offscreen screen is 800x800
    first.move(37, 41)
    first.close()
    second = _window(qtbot, station, settings_path)
    assert second.grid.spec.name == "1+7"
    assert second.grid.assignment()[0] == "cam9"
    assert second.size().height() == 503
    assert second.pos().y() == 41  # x is clamped: the window is nearly as wide as the screen
    assert "Night shift" in [
        second.actions_.layout_combo.itemText(i) for i in range(second.actions_.layout_combo.count())
    ]
    second.grid.set_grid("2x2")
    second.actions_._on_layout_combo_activated(second.actions_.layout_combo.findText("Night shift"))
    assert second.grid.spec.name == "1+7"


def test_camera_manager_save_applies_without_blocking(qtbot, window, station, tmp_path) -> None:
    manager = window.open_camera_manager()
    assert not manager.isModal()
    manager.camera_list.setCurrentRow(0)
    manager.form.source.setText(str(make_clip(tmp_path / "a.mp4", frames=2)))
    manager.form.enabled.setChecked(False)
    assert manager.save()
    qtbot.waitUntil(lambda: len(station.applied) == 1 and "applied" in window.notices.text())
    assert "cam0" not in station.feeds()
    assert "cam0" not in window.grid.assignment()


def test_no_password_in_any_widget_text(qtbot, settings_path) -> None:
    station = ScriptedStation(make_config(3, sites=1, password=SECRET))
    window = _window(qtbot, station, settings_path)
    for cid in ("cam0", "cam1", "cam2"):
        station.feed(cid).push_frame(grey_frame())
    window.clock.tick()
    url = station.config().cameras[0].source
    station.emit(CameraStatus("cam0", Health.OFFLINE, time.time(), f"cannot open {url}"))
    station.emit(Event(time.time(), "cam0", EventKind.CAMERA_OFFLINE, details={"message": f"lost {url}"}))
    qtbot.waitUntil(lambda: window.events.rowCount() == 1)
    manager = window.open_camera_manager()
    manager.camera_list.setCurrentRow(0)
    texts = all_texts(window) + all_texts(manager)
    model = window.events
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                texts.append(str(model.data(model.index(row, col), role)))
    texts += [text for _, _, text in window.notices.history]
    painted: list[str] = []

    class Recorder(QPainter):
        def drawText(self, *args):  # noqa: N802
            painted.append(str(args[-1]))
            return super().drawText(*args)

    canvas = QImage(400, 300, QImage.Format.Format_RGB32)
    for tile in window.grid.tiles():
        p = Recorder(canvas)
        tile.paint_into(p, time.monotonic())
        p.end()
    assert any("Entrance 0" in t for t in painted)
    assert any("admin:***@" in t for t in texts)  # the URL is there, redacted
    leaks = [t for t in texts + painted if SECRET in t]
    assert leaks == []


def test_watchlist_match_always_flashes_and_sounds_even_with_alerts_off(qtbot, window, station) -> None:
    window.actions_.alert_flash.setChecked(False)
    before = window.alert_sound.played
    match = Event(
        time.time(), "cam1", EventKind.WATCHLIST_MATCH, 3, {"watchlist_id": 1, "watchlist": "banned"}
    )
    station.emit(match)
    qtbot.waitUntil(lambda: window.events.rowCount() == 1)
    assert window.grid.tile_for("cam1")._flash_until > time.monotonic()
    assert window.alert_sound.played == before + 1


def _result_of(feed, frame):
    from app.domain import FrameResult

    return FrameResult(
        feed.camera.id, frame.seq, frame.captured_at, frame.captured_mono, frame.captured_mono, (128, 72)
    )
