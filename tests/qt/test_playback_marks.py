"""The playback tab in the real window on the real station, logged in as a supervisor: in/out marks and
Export open the export dialog with that range and the shown cameras; M with an evidence lock stores an
audited lock that shows on the time bar; Locks… releases it; go-to time, zoom from a day to seconds, Live."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.store import StoreReader
from tests.media import make_clip
from tests.playback_media import frame_number, needs_ffmpeg, record_camera
from tests.qt.integration_helpers import make_accounts, running_window
from widgets.playback.dialogs import BookmarkDialog
from widgets.playback.timebar import LOCK, MIN_SPAN_S

pytestmark = needs_ffmpeg
FPS = 15
T0 = float(int(time.time()) - 7200)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    make_accounts(tmp_path / "vigil.sqlite3")
    record_camera(tmp_path / "recordings", tmp_path / "vigil.sqlite3", "cam1", T0, [(0, 40)], FPS)
    make_clip(tmp_path / "door.mp4", frames=30, size=(320, 240))
    return tmp_path


def _fill_bookmark_dialog() -> None:
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, BookmarkDialog) and w.isVisible())
    dialog.name_edit.setText("bag left at the entrance")
    dialog.lock_check.setChecked(True)
    dialog.reason_edit.setText("police request PD-2026/0301")
    dialog.no_expiry.setChecked(True)
    dialog.accept()


def test_marks_export_lock_goto_zoom_and_live(qtbot, base: Path) -> None:
    with running_window(qtbot, base, base / "door.mp4", user="sue") as rig:
        w = rig.window
        qtbot.keyClick(w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        view = w.playback.view
        assert w.tabs.currentWidget() is view and view.cameras() == ["cam1"]

        # go to a typed local time: G, the time, Enter
        qtbot.keyClick(view, Qt.Key.Key_G)
        assert view.goto_edit.hasFocus()
        view.goto_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(T0 + 7)))
        qtbot.keyClick(view.goto_edit, Qt.Key.Key_Return)
        assert view.position() == T0 + 7

        def shows(n: int) -> bool:
            view.refresh()
            shown = view.tiles[0].shown
            return shown is not None and frame_number(shown.image) == n

        qtbot.waitUntil(lambda: shows(7 * FPS), timeout=5000)

        # in at 12 s, out at 18 s, E: the export dialog with that range and this camera
        view.seek(T0 + 12)
        qtbot.keyClick(view, Qt.Key.Key_BracketLeft)
        view.seek(T0 + 18)
        qtbot.keyClick(view, Qt.Key.Key_BracketRight)
        qtbot.keyClick(view, Qt.Key.Key_E)
        dialog = w.roles.export_dialog if w.roles else None
        assert dialog is not None and dialog.isVisible()
        assert dialog.selected_cameras() == ("cam1",)
        assert dialog.time_range() == (T0 + 12, T0 + 18)
        dialog.close()

        # M over the marked range, as an evidence lock: stored, audited, drawn on the bar
        view.setFocus()
        QTimer.singleShot(300, _fill_bookmark_dialog)
        qtbot.keyClick(view, Qt.Key.Key_M)
        qtbot.waitUntil(lambda: len(view.timebar.data.bookmarks) == 1, timeout=10000)  # the bar's worker read it
        [mark] = view.timebar.data.bookmarks
        assert mark.name == "bag left at the entrance" and mark.lock_active() and (mark.start, mark.end) == (T0 + 12, T0 + 18)
        assert rig.station.writer.flush()
        actions = [(r.actor, r.action) for r in StoreReader(rig.station.db_path()).audit_rows()]
        assert ("sue", "bookmark.add") in actions and ("sue", "evidence.lock") in actions
        bar = view.timebar
        bar.set_view(T0, 40)
        img = bar.grab().toImage()
        row = bar.row_rect(0)
        assert img.pixelColor(int(bar.x_of(T0 + 15)), int(row.bottom() - 1)) == LOCK

        # Locks…: the supervisor releases it (audited), the bar shows a plain bookmark again
        locks = w.playback.open_locks()
        assert [b.id for b in locks.rows] == [mark.id]
        assert w.playback.release(mark.id)
        qtbot.waitUntil(lambda: not view.timebar.data.bookmarks[0].lock_active(), timeout=10000)
        assert rig.station.writer.flush()
        assert ("sue", "evidence.release") in [(r.actor, r.action) for r in StoreReader(rig.station.db_path()).audit_rows()]
        locks.close()

        # zoom from a day down to seconds with the + button
        bar.set_view(T0 - 43200, 86400)
        clicks = 0
        while bar.span > MIN_SPAN_S and clicks < 20:
            qtbot.mouseClick(view.zoom_in, Qt.MouseButton.LeftButton)
            clicks += 1
        assert bar.span == MIN_SPAN_S and bar.start <= view.position() <= bar.start + bar.span
        assert clicks <= 14

        # Live goes back to the wall, Ctrl+P comes back to the same moment
        qtbot.mouseClick(view.live_button, Qt.MouseButton.LeftButton)
        assert w.tabs.currentIndex() == 0
        w.activateWindow()  # the closed dialogs took the focus with them
        qtbot.waitUntil(w.isActiveWindow)
        qtbot.keyClick(w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        assert w.tabs.currentWidget() is view and view.position() == pytest.approx(T0 + 18)
