"""Login gate of the real window on the real station: ``--user`` with VIGIL_PASSWORD, the first start
that creates the admin, a wrong password, the idle lock (video keeps running, controls off) and the
logged-in user on acknowledgements."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.__main__ import main as vigil_main
from app.domain import Event, EventKind
from app.security import Role
from app.store import StoreReader
from tests.media import make_clip
from tests.qt.integration_helpers import PW, make_accounts, running_window
from widgets.security import LoginDialog
from widgets.shell.main_window import StationWindow


def _visible_window() -> StationWindow | None:
    return next(
        (w for w in QApplication.topLevelWidgets() if isinstance(w, StationWindow) and w.isVisible()), None
    )


def _run_vigil(args: list[str], step) -> int:  # noqa: ANN001
    """Run ``vigil`` (its own event loop); ``step(window)`` is polled until it returns True."""

    def poll() -> None:
        window = _visible_window()
        if window is not None and step(window):
            timer.stop()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    try:
        return vigil_main(args)
    finally:
        timer.stop()


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "door.mp4", frames=45)


def test_user_and_password_from_the_environment_log_in_without_a_dialog(
    qapp, tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "v.sqlite3"
    make_accounts(db)
    monkeypatch.setenv("VIGIL_PASSWORD", PW)
    seen: dict[str, object] = {}

    def step(window: StationWindow) -> bool:
        seen["user"] = window.gate.user() if window.gate else None
        seen["locked"] = window.gate.is_locked if window.gate else None
        seen["dialog"] = window.gate.dialog if window.gate else "no gate"
        seen["banner"] = window.lock_banner.isVisible()
        seen["manage"] = window.actions_.manage.isVisible()
        seen["export"] = window.roles.export.isVisible() if window.roles else None
        seen["title"] = window.windowTitle()
        window.close()
        return True

    args = ["--source", str(clip), "--no-config", "--db", str(db), "--analysis", "off", "--user", "sue"]
    assert _run_vigil(args, step) == 0
    assert seen["user"] == "sue" and seen["locked"] is False and seen["dialog"] is None
    assert seen["banner"] is False and seen["title"] == "Vigil - sue (supervisor)"
    assert seen["export"] is True and seen["manage"] is False  # supervisors export; only admins manage
    rows = [(r.actor, r.action) for r in StoreReader(db).audit_rows()]
    assert ("sue", "login") in rows


def test_wrong_password_from_the_environment_is_a_one_line_error(
    qapp, tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "v.sqlite3"
    make_accounts(db)
    monkeypatch.setenv("VIGIL_PASSWORD", "not the password")
    args = ["--source", str(clip), "--no-config", "--db", str(db), "--analysis", "off", "--user", "otto"]
    assert vigil_main(args) == 2
    err = capsys.readouterr().err
    assert "wrong user name or password" in err and "Traceback" not in err
    assert _visible_window() is None


def test_first_start_asks_for_the_admin_then_the_window_unlocks(
    qapp, tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIGIL_PASSWORD", raising=False)
    monkeypatch.delenv("VIGIL_USER", raising=False)
    db = tmp_path / "fresh.sqlite3"
    seen: dict[str, object] = {}

    def step(window: StationWindow) -> bool:
        assert window.gate is not None
        dialog = window.gate.dialog
        if "first" not in seen:
            if dialog is None or not dialog.isVisible():
                return False
            seen["first"] = dialog.first_start
            seen["locked_banner"] = window.lock_banner.isVisible()
            seen["manage_enabled_while_locked"] = window.actions_.manage.isEnabled()
            dialog.user_edit.setText("chief")
            dialog.password_edit.setText(PW)
            dialog.repeat_edit.setText(PW)
            dialog.buttons.accepted.emit()
            return False
        seen["role"] = window.gate.session.role if window.gate.session else None
        seen["manage_enabled"] = window.actions_.manage.isEnabled() and window.actions_.manage.isVisible()
        seen["banner_after"] = window.lock_banner.isVisible()
        window.close()
        return True

    assert _run_vigil(["--source", str(clip), "--no-config", "--db", str(db), "--analysis", "off"], step) == 0
    assert seen["first"] is True and seen["locked_banner"] is True
    assert seen["manage_enabled_while_locked"] is False
    assert seen["role"] is Role.ADMIN and seen["manage_enabled"] is True and seen["banner_after"] is False


def test_idle_lock_keeps_the_video_and_turns_the_controls_off_until_login(
    qtbot, tmp_path: Path, clip: Path
) -> None:
    make_accounts(tmp_path / "vigil.sqlite3")
    with running_window(qtbot, tmp_path, clip, user="otto") as rig:
        w, gate = rig.window, rig.window.gate
        assert gate is not None and not gate.is_locked
        tile = w.grid.tile_for("cam1")
        assert tile is not None
        qtbot.waitUntil(lambda: tile.current_frame() is not None)
        gate.session.lock()  # as if 15 idle minutes passed
        assert gate.watcher is not None
        gate.watcher._on_timer_timeout()  # the watcher's periodic check
        assert w.lock_banner.isVisible() and "otto" in w.lock_banner.label.text()
        assert not w.grid.isEnabled() and not w.actions_.ack.isEnabled() and not w.event_panel.isEnabled()
        assert w.roles is not None and w.roles.lock.isEnabled()  # the way back in stays
        dialog = gate.dialog
        assert isinstance(dialog, LoginDialog) and dialog.isVisible() and dialog.user_edit.text() == "otto"
        assert not dialog.isModal()

        before = tile.current_frame().seq
        qtbot.waitUntil(lambda: tile.current_frame().seq > before)  # the wall keeps playing while locked

        qtbot.keyClicks(dialog.password_edit, "wrong password")
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        assert "wrong user name or password" in dialog.error_label.text() and gate.is_locked
        qtbot.keyClicks(dialog.password_edit, PW)
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        assert not gate.is_locked and not w.lock_banner.isVisible() and w.grid.isEnabled()
        assert w.actions_.ack.isEnabled() and w.windowTitle() == "Vigil - otto (operator)"


def test_acknowledgements_carry_the_logged_in_user(qtbot, tmp_path: Path, clip: Path) -> None:
    make_accounts(tmp_path / "vigil.sqlite3")
    with running_window(qtbot, tmp_path, clip, user="otto") as rig:
        event = Event(at=1_700_000_000.0, camera_id="cam1", kind=EventKind.NO_MASK, track_id=4)
        rig.station._record_event(event)  # as analysis would: stored, then listed live
        assert rig.station.writer.flush()
        w = rig.window
        qtbot.waitUntil(lambda: w.events.rowCount() >= 1)
        row = next(r for r in range(w.events.rowCount()) if w.events.event_at(r).kind is EventKind.NO_MASK)
        w.event_panel.select_row(w.event_panel.proxy.mapFromSource(w.events.index(row, 0)).row())
        w.acknowledge()
        assert rig.station.writer.flush()
        stored = StoreReader(rig.station.db_path()).recent_events(5, kinds=[EventKind.NO_MASK])
        assert stored[0].acknowledged_by == "otto"
