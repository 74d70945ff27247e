"""The accounts dialog on a real store: add, disable / enable, password resets, the core's rules (last
admin, own account, roles) shown as messages and audited, and the admin-only menu action in the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QInputDialog

from app.security import AuthError, PermissionDenied, Role
from app.security.db import DirectRunner
from app.store import AuditLog, StoreReader, open_db
from app.watchlist.service import AccountService
from tests.media import make_clip
from tests.qt.integration_helpers import make_accounts, running_window
from widgets.security import AccountsDialog, AddUserForm, PasswordForm

PW = "correct horse battery"
SUE_PW = "sue password 1"


@pytest.fixture
def store(tmp_path: Path):
    """A real SQLite store with the first admin ``boss``: (db, accounts service, boss's session)."""
    db = open_db(tmp_path / "vigil.sqlite3")
    accounts = AccountService(DirectRunner(db))
    boss = accounts.create_first_admin("boss", PW)
    yield db, accounts, boss
    db.close()


def _dialog(qtbot, accounts: AccountService, session) -> AccountsDialog:  # noqa: ANN001
    dlg = AccountsDialog(accounts, session)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _fill_add(qtbot, form: AddUserForm, name: str, role: Role, password: str, repeat: str) -> None:  # noqa: ANN001
    form.name_edit.setText(name)
    form.role_combo.setCurrentIndex(form.role_combo.findData(role))
    qtbot.keyClicks(form.password_edit, password)
    qtbot.keyClicks(form.repeat_edit, repeat)
    form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def _names(dlg: AccountsDialog) -> list[str]:
    return [dlg.model.user_at(r).name for r in range(dlg.model.rowCount())]


def _state(dlg: AccountsDialog, name: str) -> str:
    return dlg.model.index(dlg.model.row_of(name), 2).data()


def _disable(dlg: AccountsDialog, name: str, reason: str) -> None:
    dlg.select(name)
    dlg.disable_button.click()
    box = next(d for d in dlg.findChildren(QInputDialog) if d.isVisible())
    box.setTextValue(reason)
    box.accept()


def _actions(db) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(r.actor, r.action) for r in AuditLog.rows(db)]


def test_admin_adds_a_supervisor_who_can_then_log_in_with_that_role(qtbot, store) -> None:
    db, accounts, boss = store
    dlg = _dialog(qtbot, accounts, boss)
    assert _names(dlg) == ["boss"] and dlg.model.index(0, 0).data() == "boss  (you)"
    assert dlg.model.index(0, 3).data() != "never"  # boss logged in when the admin was created
    form = dlg.open_add()
    _fill_add(qtbot, form, "sue", Role.SUPERVISOR, SUE_PW, SUE_PW)
    assert form.result() == AddUserForm.DialogCode.Accepted and not form.isVisible()
    assert _names(dlg) == ["boss", "sue"] and dlg.selected_name() == "sue"
    row = dlg.model.row_of("sue")
    assert [dlg.model.index(row, c).data() for c in range(4)] == ["sue", "supervisor", "active", "never"]
    assert dlg.status.text() == "Added supervisor sue." and dlg.message.text() == ""

    session = accounts.login("sue", SUE_PW)
    assert session.user == "sue" and session.role is Role.SUPERVISOR
    assert ("boss", "user.create") in _actions(db)
    dlg.refresh()
    assert dlg.model.index(dlg.model.row_of("sue"), 3).data() != "never"  # the login is now listed


def test_mismatched_or_short_password_shows_the_message_and_creates_nothing(qtbot, store) -> None:
    db, accounts, boss = store
    dlg = _dialog(qtbot, accounts, boss)
    form = dlg.open_add()
    _fill_add(qtbot, form, "sue", Role.SUPERVISOR, SUE_PW, "sue password 2")
    assert form.isVisible() and "passwords differ" in form.error_label.text()
    assert form.password_edit.text() == "" and form.name_edit.text() == "sue"  # retype only the passwords
    qtbot.keyClicks(form.password_edit, "short")
    qtbot.keyClicks(form.repeat_edit, "short")
    form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert form.isVisible() and "at least 8 characters" in form.error_label.text()

    assert [u.name for u in accounts.users(boss)] == ["boss"] and _names(dlg) == ["boss"]
    with pytest.raises(AuthError):
        accounts.login("sue", "short")
    assert ("boss", "user.create") not in _actions(db)[1:]  # only the first admin's creation


def test_disabling_a_user_makes_login_fail_and_enabling_restores_it(qtbot, store) -> None:
    db, accounts, boss = store
    accounts.add_user(boss, "otto", Role.OPERATOR, SUE_PW)
    dlg = _dialog(qtbot, accounts, boss)
    _disable(dlg, "otto", "   ")
    assert "give a reason" in dlg.message.text() and _state(dlg, "otto") == "active"

    _disable(dlg, "otto", "left the company")
    assert _state(dlg, "otto") == "disabled" and dlg.message.text() == ""
    assert dlg.status.text().startswith("Disabled otto")
    assert not dlg.disable_button.isEnabled() and dlg.enable_button.isEnabled()
    last = AuditLog.rows(db)[-1]
    assert (last.actor, last.action, last.details) == ("boss", "user.disable", {"reason": "left the company"})
    with pytest.raises(AuthError, match="disabled"):
        accounts.login("otto", SUE_PW)

    dlg.enable_button.click()
    assert _state(dlg, "otto") == "active" and accounts.login("otto", SUE_PW).role is Role.OPERATOR


def test_the_last_admin_and_your_own_account_cannot_be_disabled(qtbot, store) -> None:
    db, accounts, boss = store
    dlg = _dialog(qtbot, accounts, boss)
    _disable(dlg, "boss", "testing")
    assert "boss is the last active admin" in dlg.message.text() and dlg.status.text() == ""
    assert _state(dlg, "boss") == "active" and accounts.login("boss", PW).user == "boss"

    form = dlg.open_add()
    _fill_add(qtbot, form, "ann", Role.ADMIN, SUE_PW, SUE_PW)
    _disable(dlg, "boss", "testing")
    assert "you cannot disable yourself" in dlg.message.text() and _state(dlg, "boss") == "active"
    assert ("boss", "user.disable") not in _actions(db)


def test_admin_resets_a_password_and_changes_its_own_with_the_current_one(qtbot, store) -> None:
    db, accounts, boss = store
    accounts.add_user(boss, "otto", Role.OPERATOR, SUE_PW)
    dlg = _dialog(qtbot, accounts, boss)
    dlg.select("otto")
    form = dlg.open_password()
    assert isinstance(form, PasswordForm) and not form.own and form.old_edit.isHidden()
    qtbot.keyClicks(form.password_edit, "otto new pass")
    qtbot.keyClicks(form.repeat_edit, "otto new pass")
    form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not form.isVisible() and accounts.login("otto", "otto new pass").user == "otto"

    dlg.select("boss")
    form = dlg.open_password()
    assert form is not None and form.own and form.old_edit.isVisible()
    for old in ("not my password", PW):
        qtbot.keyClicks(form.old_edit, old)
        qtbot.keyClicks(form.password_edit, "boss new pass")
        qtbot.keyClicks(form.repeat_edit, "boss new pass")
        form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        if old != PW:
            assert "current password is wrong" in form.error_label.text() and form.isVisible()
    assert not form.isVisible() and accounts.login("boss", "boss new pass").user == "boss"


def test_a_non_admin_is_refused_by_the_core_and_the_refusal_is_audited(qtbot, store) -> None:
    db, accounts, boss = store
    accounts.add_user(boss, "sue", Role.SUPERVISOR, SUE_PW)
    sue = accounts.login("sue", SUE_PW)
    refused = [
        lambda: accounts.add_user(sue, "eve", Role.ADMIN, "eve password 1"),
        lambda: accounts.disable_user(sue, "boss", "take over"),
        lambda: accounts.enable_user(sue, "boss"),
        lambda: accounts.change_password(sue, "boss", "taken over!"),
    ]
    for action in refused:
        with pytest.raises(PermissionDenied, match=r"sue \(supervisor\) may not manage accounts"):
            action()
        assert _actions(db)[-1] == ("sue", "access.denied")
    assert [u.name for u in accounts.users(boss)] == ["boss", "sue"] and accounts.login("boss", PW)

    dlg = _dialog(qtbot, accounts, sue)  # reached some other way: the dialog shows the refusal
    assert "may not manage accounts" in dlg.message.text() and dlg.model.rowCount() == 0
    assert _actions(db)[-1] == ("sue", "access.denied")


def test_accounts_menu_action_is_for_admins_only(qtbot, tmp_path: Path) -> None:
    make_accounts(tmp_path / "vigil.sqlite3")
    clip = make_clip(tmp_path / "door.mp4", frames=30)
    with running_window(qtbot, tmp_path, clip, user="otto") as rig:
        w, roles = rig.window, rig.window.roles
        assert roles is not None
        assert not roles.accounts.isEnabled() and not roles.accounts.isVisible()
        ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        qtbot.keyClick(w, Qt.Key.Key_U, ctrl_shift)
        assert not any(d.isVisible() for d in w.findChildren(AccountsDialog))
        assert roles.open_accounts() is None and "otto (operator) may not manage accounts" in w.notices.text()
        assert rig.station.writer.flush()
        audit = [(r.actor, r.action) for r in StoreReader(rig.station.db_path()).audit_rows()]
        assert audit[-1] == ("otto", "access.denied")
        assert roles.my_password.isEnabled()  # every role may change its own password
        roles.my_password.trigger()
        form = next(d for d in w.findChildren(PasswordForm) if d.isVisible())
        assert form.own and form.name == "otto"
        form.close()

        rig.login("boss")
        assert roles.accounts.isEnabled() and roles.accounts.isVisible()
        assert roles.accounts.shortcut().toString() == "Ctrl+Shift+U"
        qtbot.keyClick(w, Qt.Key.Key_U, ctrl_shift)
        dlg = next(d for d in w.findChildren(AccountsDialog) if d.isVisible())
        assert _names(dlg) == ["boss", "otto", "sue"]
        roles.set_locked(True)  # locking closes it
        assert not dlg.isVisible() and not roles.accounts.isEnabled()
