"""Small forms of the accounts dialog: a new account, and a password (an admin's reset, or your own).

Each form calls a function that does the work in the core; a ``UserError`` from it shows in the form,
which stays open with the fields kept (the passwords are cleared), so nothing is created on a mistake."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.i18n import QT_TRANSLATE_NOOP
from app.security.passwords import MIN_LENGTH
from app.security.roles import Role
from widgets.i18n import error_text, translate

ROLE_HELP = {
    Role.OPERATOR: QT_TRANSLATE_NOOP("AddUserForm", "operator - watches cameras, acknowledges events"),
    Role.SUPERVISOR: QT_TRANSLATE_NOOP("AddUserForm", "supervisor - also exports evidence, reviews matches, reports"),
    Role.ADMIN: QT_TRANSLATE_NOOP("AddUserForm", "admin - also manages cameras, accounts and watchlists"),
}


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMinimumWidth(260)
    return edit


class _Form(QDialog):
    """A form with an error label and OK / Cancel; ``submit()`` raises ``UserError`` to stay open."""

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error_label = QLabel()
        self.error_label.setObjectName("InlineError")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        raise NotImplementedError

    def _passwords(self, password: QLineEdit, repeat: QLineEdit) -> str:
        if password.text() != repeat.text():
            raise UserError(self.tr("the two passwords differ; type the new password twice"))
        return password.text()

    def _clear_passwords(self) -> None:
        for edit in self.findChildren(QLineEdit):
            if edit.echoMode() is QLineEdit.EchoMode.Password:
                edit.clear()

    def _on_buttons_accepted(self) -> None:
        try:
            self.submit()
        except UserError as exc:
            self.error_label.setText(error_text(exc))
            self._clear_passwords()
            return
        self.accept()


class AddUserForm(_Form):
    """Name, role, password twice; ``add(name, role, password)`` creates the account in the core."""

    def __init__(self, add: Callable[[str, Role, str], object], parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Vigil - add an account"), parent)
        self._add = add
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("e.g. j.smith"))
        self.role_combo = QComboBox()
        for role in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN):
            self.role_combo.addItem(translate("AddUserForm", ROLE_HELP[role]), role)
        self.password_edit = _password_edit()
        self.password_edit.setPlaceholderText(self.tr("{MIN_LENGTH}+ characters").format(MIN_LENGTH=MIN_LENGTH))
        self.repeat_edit = _password_edit()
        self.form.addRow(self.tr("User name"), self.name_edit)
        self.form.addRow(self.tr("Role"), self.role_combo)
        self.form.addRow(self.tr("Password"), self.password_edit)
        self.form.addRow(self.tr("Repeat"), self.repeat_edit)
        self.name_edit.setFocus()

    def set_role(self, role: Role) -> None:
        self.role_combo.setCurrentIndex(self.role_combo.findData(role))

    def submit(self) -> None:
        password = self._passwords(self.password_edit, self.repeat_edit)
        self._add(self.name_edit.text().strip(), self.role_combo.currentData(), password)


class PasswordForm(_Form):
    """A new password twice for ``name``; with ``own`` the current password too (the core checks it).
    ``change(new, old)`` does it in the core (``old`` is None for an admin's reset)."""

    def __init__(
        self,
        name: str,
        own: bool,
        change: Callable[[str, str | None], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            self.tr("Vigil - change my password") if own else self.tr("Vigil - reset the password of {name}").format(name=name), parent
        )
        self.name, self.own, self._change = name, own, change
        self.old_edit = _password_edit()
        self.password_edit = _password_edit()
        self.password_edit.setPlaceholderText(self.tr("{MIN_LENGTH}+ characters").format(MIN_LENGTH=MIN_LENGTH))
        self.repeat_edit = _password_edit()
        if own:
            self.form.addRow(self.tr("Current password"), self.old_edit)
        else:
            note = QLabel(self.tr("Sets a new password for {name} and lifts a lock-out after failed logins.").format(name=name))
            note.setWordWrap(True)
            self.form.addRow(note)
        self.form.addRow(self.tr("New password"), self.password_edit)
        self.form.addRow(self.tr("Repeat"), self.repeat_edit)
        (self.old_edit if own else self.password_edit).setFocus()

    def submit(self) -> None:
        new = self._passwords(self.password_edit, self.repeat_edit)
        self._change(new, self.old_edit.text() if self.own else None)
