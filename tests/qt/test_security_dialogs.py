"""Login (first start and lock-out), enrolment with a face picked by clicking, audit viewer, match review."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.domain import Event, EventKind
from app.security import MAX_FAILURES, PermissionDenied, Role, add_user, authenticate
from app.security.db import DirectRunner
from app.store import AuditLog, StoreWriter, open_db
from app.watchlist import create_watchlist
from app.watchlist.service import AccountService, WatchlistService
from widgets.security import AuditViewer, EnrolmentDialog, LoginDialog, MatchReviewDialog

PW = "correct horse battery"


@pytest.fixture
def db(tmp_path: Path):
    d = open_db(tmp_path / "vigil.sqlite3")
    yield d
    d.close()


def _login(
    qtbot, accounts: AccountService, user: str, password: str, repeat: str | None = None
) -> LoginDialog:
    dlg = LoginDialog(accounts)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.user_edit.setText(user)
    qtbot.keyClicks(dlg.password_edit, password)
    if repeat is not None:
        qtbot.keyClicks(dlg.repeat_edit, repeat)
    qtbot.keyClick(dlg.password_edit, Qt.Key.Key_Return)
    return dlg


def test_first_start_creates_the_admin_then_login_and_lock_out(qtbot, db) -> None:
    accounts = AccountService(DirectRunner(db))
    dlg = _login(qtbot, accounts, "boss", PW, repeat="something else")
    assert dlg.first_start and dlg.session is None and "differ" in dlg.error_label.text()
    dlg = _login(qtbot, accounts, "boss", PW, repeat=PW)
    assert dlg.session is not None and dlg.session.role is Role.ADMIN
    assert dlg.result() == LoginDialog.DialogCode.Accepted

    dlg = _login(qtbot, accounts, "boss", "wrong one")
    assert not dlg.first_start and dlg.session is None and dlg.isVisible()  # stays open
    assert "wrong user name or password" in dlg.error_label.text() and dlg.password_edit.text() == ""
    for _ in range(MAX_FAILURES - 2):
        qtbot.keyClicks(dlg.password_edit, "wrong again")
        qtbot.keyClick(dlg.password_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(dlg.password_edit, "wrong again")
    qtbot.keyClick(dlg.password_edit, Qt.Key.Key_Return)
    assert "locked" in dlg.error_label.text()
    qtbot.keyClicks(dlg.password_edit, PW)
    qtbot.keyClick(dlg.password_edit, Qt.Key.Key_Return)
    assert dlg.session is None and "locked" in dlg.error_label.text()


@pytest.fixture
def enrol_setup(qtbot, db, shared_data: Path):
    from models.face_embedder import OnnxFaceEmbedder

    accounts = AccountService(DirectRunner(db))
    admin = accounts.create_first_admin("root", PW)
    create_watchlist(db, admin, "mall", "banned")
    model = shared_data / "models" / "MobileFaceNet.onnx"
    service = WatchlistService(DirectRunner(db), embedder=lambda: OnnxFaceEmbedder(model))
    yield service, admin, shared_data / "faces"
    service.close()


def test_enrolment_dialog_picks_a_face_by_click_and_enrols(qtbot, db, enrol_setup) -> None:
    service, admin, faces = enrol_setup
    dlg = EnrolmentDialog(service, admin, "mall")
    qtbot.addWidget(dlg)
    dlg.resize(700, 700)
    dlg.show()
    assert dlg.list_combo.count() == 1 and dlg.expiry_spin.value() == 30
    assert dlg.add_image(faces / "gallery" / "joe_biden" / "biden.jpg") == 1
    text = faces.parent / "README.md"
    assert dlg.add_image(text) == 0 and "is not an image" in dlg.message.text()
    assert dlg.add_image(faces / "probe" / "two_people.jpg") == 2
    assert dlg.picker.isVisible() and "click the person" in dlg.message.text()
    # two_people.jpg: the face boxed on the right is Biden
    right = max(range(2), key=lambda i: dlg.picker.faces[i].bbox.x1)
    qtbot.mouseClick(
        dlg.picker, Qt.MouseButton.LeftButton, pos=dlg.picker.face_rect(right).center().toPoint()
    )
    assert len(dlg.chosen) == 2 and not dlg.picker.isVisible()

    dlg.label_edit.setText("Person B")
    dlg.basis_edit.setText("ban notice 4")
    qtbot.mouseClick(dlg.enrol_button, Qt.MouseButton.LeftButton)
    assert "needs a reason" in dlg.message.text() and dlg.identity is None
    assert db.execute("SELECT count(*) FROM watchlist_identities").fetchone()[0] == 0
    dlg.reason_edit.setText("violence against staff")
    with qtbot.waitSignal(dlg.enrolled, timeout=5000) as sig:
        qtbot.mouseClick(dlg.enrol_button, Qt.MouseButton.LeftButton)
    assert dlg.identity is not None and sig.args == [dlg.identity.id] and dlg.identity.embeddings == 2
    vecs = [r[0] for r in db.execute("SELECT vector FROM watchlist_embeddings")]
    import numpy as np

    a, b = (np.frombuffer(v, np.float32) for v in vecs)
    assert float(a @ b) > 0.5  # the clicked face is the same person as the single-face photo


def test_enrolment_by_an_operator_is_refused_and_audited(qtbot, db, enrol_setup) -> None:
    service, admin, faces = enrol_setup
    add_user(db, admin, "op", Role.OPERATOR, "operator pw 1")
    op = authenticate(db, "op", "operator pw 1")
    dlg = EnrolmentDialog(service, op, "mall")
    qtbot.addWidget(dlg)
    dlg.add_image(faces / "gallery" / "joe_biden" / "biden.jpg")
    for edit, text in ((dlg.label_edit, "X"), (dlg.reason_edit, "r"), (dlg.basis_edit, "b")):
        edit.setText(text)
    qtbot.mouseClick(dlg.enrol_button, Qt.MouseButton.LeftButton)
    assert "op (operator) may not manage watchlists" in dlg.message.text()
    assert (AuditLog.rows(db)[-1].actor, AuditLog.rows(db)[-1].action) == ("op", "access.denied")


def test_audit_viewer_filters_and_finds_a_tampered_row(qtbot, db) -> None:
    accounts = AccountService(DirectRunner(db))
    admin = accounts.create_first_admin("root", PW)
    create_watchlist(db, admin, "mall", "banned")
    viewer = AuditViewer(accounts, admin)
    qtbot.addWidget(viewer)
    viewer.action_edit.setText("watchlist.")
    qtbot.mouseClick(viewer.refresh_button, Qt.MouseButton.LeftButton)
    assert viewer.model.rowCount() == 1 and viewer.model.row_at(0).action == "watchlist.create"
    qtbot.mouseClick(viewer.verify_button, Qt.MouseButton.LeftButton)
    assert "chain intact" in viewer.status.text()
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET target = 'edited' WHERE seq = 3")
    db.conn.commit()
    qtbot.mouseClick(viewer.verify_button, Qt.MouseButton.LeftButton)
    assert "CHAIN BROKEN at row 3" in viewer.status.text()


def test_match_review_dialog_views_and_confirms(qtbot, db, tmp_path: Path) -> None:
    accounts = AccountService(DirectRunner(db))
    admin = accounts.create_first_admin("root", PW)
    add_user(db, admin, "sup", Role.SUPERVISOR, "supervisor pw 1")
    add_user(db, admin, "op", Role.OPERATOR, "operator pw 1")
    writer = StoreWriter(tmp_path / "vigil.sqlite3")
    writer.start()
    writer.submit(Event(1.0, "cam1", EventKind.WATCHLIST_MATCH, 3, {"watchlist": "banned", "identity_id": 99,
                                                                      "similarity": 0.71, "margin": 0.5}))  # fmt: skip
    assert writer.flush()
    writer.stop()
    service = WatchlistService(DirectRunner(db))
    with pytest.raises(PermissionDenied):
        MatchReviewDialog(service, authenticate(db, "op", "operator pw 1"), 1)
    dlg = MatchReviewDialog(service, authenticate(db, "sup", "supervisor pw 1"), 1)
    qtbot.addWidget(dlg)
    assert "banned" in dlg.info.text() and "0.71" in dlg.info.text()
    qtbot.mouseClick(dlg.confirm_button, Qt.MouseButton.LeftButton)
    assert dlg.view.review == "confirmed" and not dlg.confirm_button.isEnabled()
    actions = [(r.actor, r.action) for r in AuditLog.rows(db)]
    assert ("op", "access.denied") in actions and ("sup", "match.view") in actions
    assert actions[-1] == ("sup", "match.confirmed")


def test_idle_watcher_keeps_an_active_session_and_reports_an_idle_one(qtbot) -> None:
    from PySide6.QtWidgets import QLineEdit

    from app.security import Session
    from widgets.security import IdleWatcher

    clock = [0.0]
    session = Session("root", Role.ADMIN, idle_timeout_s=60, clock=lambda: clock[0])
    edit = QLineEdit()
    qtbot.addWidget(edit)
    watcher = IdleWatcher(session, edit, check_ms=10)
    clock[0] = 50
    qtbot.keyClicks(edit, "x")  # input counts as activity
    clock[0] = 100
    assert not session.expired
    clock[0] = 200
    with qtbot.waitSignal(watcher.expired, timeout=2000):
        pass
    assert session.expired
    qtbot.keyClicks(edit, "y")  # input after the lock does not unlock it
    assert session.expired
