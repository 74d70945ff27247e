"""Roles in the real window: what each role sees, refusals as notices (and in the audit log), the events
of a previous run listed at start, match review, the compliance tab, and the admin's matching switch."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QInputDialog

from app.domain import Event, EventKind
from app.store import StoreReader, StoreWriter
from app.store.records import CameraRecord, SiteRecord
from tests.media import make_clip
from tests.qt.integration_helpers import make_accounts, running_window
from widgets.security import AuditViewer, MatchReviewDialog

T0 = time.time() - 3600.0  # an hour ago: a previous run of the station
MATCH = Event(
    T0 + 20,
    "cam1",
    EventKind.WATCHLIST_MATCH,
    9,
    {"watchlist": "banned", "identity_id": 99, "similarity": 0.61, "margin": 0.2},
)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A store with accounts and three events of an earlier run (the first one acknowledged by sue)."""
    db = tmp_path / "vigil.sqlite3"
    make_accounts(db)
    writer = StoreWriter(db)
    writer.start()
    writer.submit(SiteRecord("mall", "North Mall"))
    writer.submit(CameraRecord("cam1", "door", "mall"))
    writer.submit(Event(T0, "cam1", EventKind.NO_MASK, 3))
    writer.submit(Event(T0 + 10, "cam1", EventKind.INCORRECT_MASK, 5))
    writer.submit(MATCH)
    assert writer.flush()
    first = StoreReader(db).recent_events(10, kinds=[EventKind.NO_MASK])[0]
    writer.acknowledge(first.id, "sue")
    writer.stop()
    return tmp_path


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "door.mp4", frames=45)


def _audit(rig) -> list[tuple[str, str]]:  # noqa: ANN001
    assert rig.station.writer.flush()
    return [(r.actor, r.action) for r in StoreReader(rig.station.db_path()).audit_rows()]


def _row_of(window, kind: EventKind) -> int:  # noqa: ANN001
    model = window.events
    return next(r for r in range(model.rowCount()) if model.event_at(r).kind is kind)


def test_stored_events_are_listed_at_start_with_their_acknowledgement(qtbot, base: Path, clip: Path) -> None:
    with running_window(qtbot, base, clip, user="otto") as rig:
        model = rig.window.events
        qtbot.waitUntil(lambda: model.rowCount() >= 3)
        kinds = [model.event_at(r).kind for r in range(model.rowCount()) if model.event_at(r).at < T0 + 60]
        assert kinds == [
            EventKind.WATCHLIST_MATCH,
            EventKind.INCORRECT_MASK,
            EventKind.NO_MASK,
        ]  # newest first
        no_mask = _row_of(rig.window, EventKind.NO_MASK)
        assert model.is_acknowledged(no_mask) and model.index(no_mask, 5).data() == "✓"
        assert "acknowledged by sue" in model.index(no_mask, 0).data(Qt.ItemDataRole.ToolTipRole)
        assert not model.is_acknowledged(_row_of(rig.window, EventKind.INCORRECT_MASK))
        # operators see which list matched, nothing more
        assert (
            model.index(_row_of(rig.window, EventKind.WATCHLIST_MATCH), 2)
            .data()
            .startswith("Watchlist match · banned")
        )


def test_operator_sees_no_export_and_a_direct_call_is_refused_and_audited(
    qtbot, base: Path, clip: Path
) -> None:
    with running_window(qtbot, base, clip, user="otto") as rig:
        w, roles = rig.window, rig.window.roles
        assert roles is not None
        assert not roles.export.isVisible() and not roles.review.isVisible()
        assert not w.actions_.manage.isVisible() and not roles.admin_menu.menuAction().isVisible()
        assert w.actions_.ack.isVisible()
        tile = w.grid.tile_for("cam1")
        assert tile is not None
        menu = roles.tile_menu(tile.geometry().center())
        assert menu is not None and not any("Export" in a.text() for a in menu.actions())
        menu.close()

        assert roles.open_export(["cam1"], T0, T0 + 30) is None
        assert "otto (operator) may not export evidence" in w.notices.text()
        assert roles.export_dialog is None
        assert w.open_camera_manager() is None and "may not manage cameras" in w.notices.text()

        qtbot.waitUntil(lambda: w.events.rowCount() >= 3)
        assert roles.review_event(w.events.event_at(_row_of(w, EventKind.WATCHLIST_MATCH))) is None
        assert "may not view watchlist matches" in w.notices.text()
        assert _audit(rig).count(("otto", "access.denied")) == 3


def test_supervisor_opens_a_match_by_double_click_and_the_view_is_audited(
    qtbot, base: Path, clip: Path
) -> None:
    with running_window(qtbot, base, clip, user="sue") as rig:
        w, roles = rig.window, rig.window.roles
        assert roles is not None and roles.export.isVisible() and roles.review.isVisible()
        assert not roles.admin_menu.menuAction().isVisible()
        qtbot.waitUntil(lambda: w.events.rowCount() >= 3)
        proxy_row = w.event_panel.proxy.mapFromSource(
            w.events.index(_row_of(w, EventKind.WATCHLIST_MATCH), 2)
        )
        table = w.event_panel.table
        rect = table.visualRect(proxy_row)
        qtbot.mouseClick(
            table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
        )  # Qt wants a press first
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        dialogs = [d for d in roles.dialogs if isinstance(d, MatchReviewDialog)]
        assert len(dialogs) == 1 and "banned" in dialogs[0].info.text()
        assert ("sue", "match.view") in _audit(rig)


def test_compliance_tab_toggles_with_ctrl_t_and_hides_reports_from_operators(
    qtbot, base: Path, clip: Path
) -> None:
    with running_window(qtbot, base, clip, user="otto") as rig:
        w = rig.window
        qtbot.keyClick(w, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
        view = w.compliance.view
        assert w.tabs.currentIndex() == 1 and view is not None and view.isVisible()
        assert view.refresh_timer.isActive() and not view.report_button.isVisible()
        view.show_events("mall", T0 - 1, T0 + 60)
        assert view.events.rowCount() == 3
        view.events.selectRow(0)
        assert w.grid.tile_for("cam1")._highlighted  # the event's camera is outlined on the wall
        qtbot.keyClick(w, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
        assert w.tabs.currentIndex() == 0 and w.grid.isVisible() and not view.refresh_timer.isActive()

        rig.login("sue")
        w.show_compliance()
        assert view.report_button.isVisible()
        event = w.compliance.event_at(0)
        assert event is not None and event.camera_id == "cam1" and event.at == T0
        menu = w.roles.event_menu(event, QPoint(0, 0))
        assert [a.text() for a in menu.actions()] == ["Show the camera", "Play from 10 s before", "Export ±10 s…"]
        menu.actions()[1].trigger()  # playback of the event's moment, 10 s before it
        assert w.tabs.currentWidget() is w.playback.view
        assert w.playback.view.position() == pytest.approx(T0 - 10.0, abs=0.5)
        menu.close()


def test_admin_switches_matching_with_a_required_reason_and_opens_the_audit_log(
    qtbot, base: Path, clip: Path
) -> None:
    with running_window(qtbot, base, clip, user="boss") as rig:
        w, roles = rig.window, rig.window.roles
        assert roles is not None and roles.admin_menu.menuAction().isVisible()
        roles._fill_matching_menu()
        [site_action] = roles.matching_menu.actions()
        assert site_action.text() == "North Mall: off" and not site_action.isChecked()

        site_action.trigger()
        dialog = next(d for d in w.findChildren(QInputDialog) if d.isVisible())
        dialog.setTextValue("   ")
        dialog.accept()
        assert "reason" in w.notices.text().lower()
        assert not rig.services.watchlists.site_matching("mall").enabled

        dialog = roles.ask_matching("mall", True)
        dialog.setTextValue("police request 42")
        dialog.accept()
        state = rig.services.watchlists.site_matching("mall")
        assert state.enabled and state.reason == "police request 42" and state.changed_by == "boss"
        assert ("boss", "matching.on") in _audit(rig)

        viewer = roles.open_audit()
        assert isinstance(viewer, AuditViewer) and viewer.model.rowCount() > 0
        assert "entries" in viewer.status.text()
        w.roles.set_locked(True)  # locking closes what the admin had open
        assert not roles.dialogs and not viewer.isVisible()


def test_tile_menu_offers_export_to_supervisors(qtbot, base: Path, clip: Path) -> None:
    with running_window(qtbot, base, clip, user="sue") as rig:
        tile = rig.window.grid.tile_for("cam1")
        assert tile is not None and rig.window.roles is not None
        menu = rig.window.roles.tile_menu(tile.geometry().center())
        assert menu is not None
        assert [a.text() for a in menu.actions()][0] == "Export the last 5 minutes…"
        menu.close()
        assert rig.window.roles.tile_menu(QPoint(-5, -5)) is None
