"""Playback on real recorded segments (H.264 made with ffmpeg, each frame carrying its number): seeking shows
the right frame, cameras stay in sync, gaps show on the time bar and in the tile, keys drive it, and the
station window opens it from Ctrl+P and from a double-clicked event."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from app.domain import Event, EventKind
from app.playback.source import SourceState
from app.store.db import open_db
from tests.playback_media import frame_number, needs_ffmpeg, record_camera
from tests.qt.playback_views import shown_view
from tests.qt.scripted_station import ScriptedStation, make_config
from widgets.playback.timebar import COVERED, GAP
from widgets.playback.view import PlaybackView
from widgets.shell.main_window import StationWindow

pytestmark = needs_ffmpeg
FPS = 15
T0 = 1772370000.0  # 2026-03-01 13:00:00 UTC


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """cam0: 0-30 s and 45-60 s (a 15 s gap); cam1: 0-60 s starting half a frame later."""
    d = tmp_path_factory.mktemp("playback")
    db, rec = d / "vigil.sqlite3", d / "recordings"
    record_camera(rec, db, "cam0", T0, [(0, 30), (45, 60)], FPS)
    record_camera(rec, db, "cam1", T0 + 0.5 / FPS, [(0, 60)], FPS)
    return db, rec


@pytest.fixture
def view(qtbot, recorded: tuple[Path, Path]) -> PlaybackView:
    yield from shown_view(qtbot, *recorded, {"cam0": "Entrance", "cam1": "Food court"})


def _shown(qtbot, view: PlaybackView, i: int, at: float):
    """Wait until tile ``i`` shows the frame of ``at``; return that frame."""
    tile = view.tiles[i]
    period = 1 / FPS

    def ready() -> bool:
        view.refresh()
        f = tile.shown
        assert f is not None and f.at <= at + 1e-6 < f.at + period + 1e-6

    qtbot.waitUntil(ready, timeout=5000)
    assert tile.shown is not None
    return tile.shown


@pytest.mark.parametrize("offset", [0.0, 7.53, 12.34, 29.9, 47.0, 59.5])
def test_seek_shows_the_frame_of_the_asked_time(qtbot, view: PlaybackView, offset: float) -> None:
    view.open(["cam0"], T0 + 20.0)
    view.seek(T0 + offset)
    frame = _shown(qtbot, view, 0, T0 + offset)
    # the number burned into the picture is the frame recorded at that moment: never more than one GOP off,
    # here exactly the right one
    assert frame_number(frame.image) == math.floor(offset * FPS + 1e-6)
    assert abs(frame.at - (T0 + offset)) < 1 / FPS


def test_two_cameras_play_in_sync_within_one_frame(qtbot, view: PlaybackView) -> None:
    view.open(["cam0", "cam1"], T0 + 5.0)
    view.play(2.0)
    seen = 0
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        qtbot.wait(70)
        view.refresh()
        a, b = view.tiles[0].shown, view.tiles[1].shown
        pos = view.position()
        if a is None or b is None or abs(a.at - pos) > 0.2 or abs(b.at - pos) > 0.2:
            continue  # decoders catching up after the start
        assert abs(a.at - b.at) <= 1 / FPS + 1e-6
        assert frame_number(b.image) == round((b.at - T0 - 0.5 / FPS) * FPS)
        seen += 1
    view.pause()
    assert seen >= 5, "the two tiles never showed frames of the clock's time"
    pos = view.position()
    a, b = _shown(qtbot, view, 0, pos), _shown(qtbot, view, 1, pos)
    assert abs(a.at - b.at) <= 1 / FPS + 1e-6


def _pixel(img: QImage, x: float, y: float) -> QColor:
    return img.pixelColor(int(x), int(y))


def test_gaps_are_drawn_on_the_time_bar_and_the_tile_says_so(qtbot, view: PlaybackView) -> None:
    view.open(["cam0", "cam1"], T0 + 10.0)
    with qtbot.waitSignal(view.data_loaded, timeout=5000):
        view.timebar.set_view(T0 - 10, 80)
        view.reload_data(force=True)
    bar = view.timebar
    assert [(round(r.start - T0), round(r.end - T0)) for r in bar.data.coverage["cam0"]] == [(0, 30), (45, 60)]
    img = bar.grab().toImage()
    row0, row1 = bar.row_rect(0), bar.row_rect(1)
    y0, y1 = row0.center().y(), row1.center().y()
    assert _pixel(img, bar.x_of(T0 + 37), y0) == GAP  # cam0 recorded nothing at 37 s
    assert _pixel(img, bar.x_of(T0 + 37), y1) == COVERED  # cam1 did
    assert _pixel(img, bar.x_of(T0 + 20), y0) == COVERED
    assert _pixel(img, bar.x_of(T0 - 5), y0) == GAP  # before the first recording
    view.seek(T0 + 37)
    qtbot.waitUntil(lambda: view.sources[0].status.state is SourceState.NO_RECORDING, timeout=3000)
    _shown(qtbot, view, 1, T0 + 37)  # the other camera goes on playing


def test_keys_step_frames_play_and_set_marks(qtbot, view: PlaybackView) -> None:
    view.open(["cam0"], T0 + 10.0)
    base = _shown(qtbot, view, 0, T0 + 10.0)
    n = frame_number(base.image)
    qtbot.keyClick(view, Qt.Key.Key_Period)
    qtbot.waitUntil(lambda: (view.refresh(), view.tiles[0].shown is not None and frame_number(view.tiles[0].shown.image) == n + 1)[1], timeout=3000)
    qtbot.keyClick(view, Qt.Key.Key_Comma)
    qtbot.keyClick(view, Qt.Key.Key_Comma)
    qtbot.waitUntil(lambda: (view.refresh(), frame_number(view.tiles[0].shown.image) == n - 1)[1], timeout=3000)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert abs(view.position() - (T0 + 20 - 1 / FPS)) < 0.01  # one frame back, then 10 s on
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.position() < T0 - 30
    view.seek(T0 + 12)
    qtbot.keyClick(view, Qt.Key.Key_BracketLeft)
    view.seek(T0 + 18)
    qtbot.keyClick(view, Qt.Key.Key_BracketRight)
    assert (view.mark_in, view.mark_out) == (pytest.approx(T0 + 12), pytest.approx(T0 + 18))
    with qtbot.waitSignal(view.export_requested) as sig:
        qtbot.keyClick(view, Qt.Key.Key_E)
    assert sig.args[0] == ["cam0"] and sig.args[1] == pytest.approx(T0 + 12) and sig.args[2] == pytest.approx(T0 + 18)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert view.clock.state().playing
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.clock.state().speed == 2.0
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert not view.clock.state().playing


def test_reverse_play_goes_backwards_through_decoded_frames(qtbot, view: PlaybackView) -> None:
    view.open(["cam0"], T0 + 20.0)
    start = frame_number(_shown(qtbot, view, 0, T0 + 20.0).image)
    qtbot.keyClick(view, Qt.Key.Key_R)
    qtbot.wait(800)
    view.pause()
    frame = _shown(qtbot, view, 0, view.position())
    assert frame_number(frame.image) < start - 5


def test_scrubbing_the_time_bar_moves_every_tile(qtbot, view: PlaybackView) -> None:
    view.open(["cam0", "cam1"], T0 + 10.0)
    bar = view.timebar
    bar.set_view(T0, 60)
    y = int(bar.row_rect(1).center().y())
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(int(bar.x_of(T0 + 20)), y))
    for s in (25, 30, 50):
        qtbot.mouseMove(bar, QPoint(int(bar.x_of(T0 + s)), y))
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(int(bar.x_of(T0 + 50)), y))
    pos = view.position()
    assert abs(pos - (T0 + 50)) < 60 / bar.width() * 2
    a, b = _shown(qtbot, view, 0, pos), _shown(qtbot, view, 1, pos)
    assert abs(a.at - b.at) <= 1 / FPS + 1e-6


def test_window_opens_playback_from_ctrl_p_and_from_an_event(qtbot, tmp_path: Path, recorded) -> None:
    db, rec = recorded
    station = ScriptedStation(make_config(2, sites=1), db_path=str(db))
    station.recordings_dir = rec  # type: ignore[attr-defined]
    w = StationWindow(station, QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    try:
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=3000)
        qtbot.keyClick(w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        assert w.tabs.currentWidget() is w.playback.view
        assert w.playback.view.cameras() == ["cam0", "cam1"]
        qtbot.keyClick(w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        assert w.tabs.currentIndex() == 0  # the live wall
        event = Event(T0 + 25.0, "cam1", EventKind.NO_MASK, 3)
        w.event_panel.event_activated.emit(event)
        view = w.playback.view
        assert w.tabs.currentWidget() is view
        assert view.clock.state().playing
        assert view.position() == pytest.approx(T0 + 15.0, abs=0.5)  # 10 s before the event
        w.compliance.event_activated.emit(Event(T0 + 50.0, "cam0", EventKind.INCORRECT_MASK, 4))
        assert view.position() == pytest.approx(T0 + 40.0, abs=0.5)
        # Space plays and pauses here; on the wall it acknowledges
        view.setFocus()
        was = view.clock.state().playing
        qtbot.keyClick(view, Qt.Key.Key_Space)
        assert view.clock.state().playing is not was
    finally:
        w.close()


def test_double_click_on_an_event_row_opens_playback_10_s_before(qtbot, tmp_path: Path, recorded) -> None:
    """A real double-click on a row of the live events panel and of the compliance tab's event list."""
    db, rec = recorded
    store = open_db(db)
    store.execute("INSERT INTO events(at, camera_id, kind, details) VALUES (?, 'cam0', 'incorrect_mask', '{}')",
                  [T0 + 50.0])  # fmt: skip
    store.conn.commit()
    store.conn.close()
    station = ScriptedStation(make_config(2, sites=1), db_path=str(db))
    station.recordings_dir = rec  # type: ignore[attr-defined]
    w = StationWindow(station, QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    try:
        w.events.add_event(Event(T0 + 25.0, "cam1", EventKind.NO_MASK, 3))
        table = w.event_panel.table
        index = table.model().index(0, 1)
        where = table.visualRect(index).center()
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)  # a double-click's first press
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
        view = w.playback.view
        assert w.tabs.currentWidget() is view
        assert view.position() == pytest.approx(T0 + 15.0, abs=0.5)
        assert view.clock.state().playing
        view.pause()
        _shown(qtbot, view, view.cameras().index("cam1"), view.position())  # the event's camera shows video

        tab = w.show_compliance()
        assert tab.view is not None
        qtbot.waitUntil(lambda: tab.view._reader is not None, timeout=5000)
        tab.view.show_events("cam0", T0, T0 + 60.0)
        events = tab.view.events
        assert events.rowCount() == 1
        rect = events.visualItemRect(events.item(0, 0))
        qtbot.mouseClick(events.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(events.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert w.tabs.currentWidget() is view
        assert view.position() == pytest.approx(T0 + 40.0, abs=0.5)
    finally:
        w.close()
