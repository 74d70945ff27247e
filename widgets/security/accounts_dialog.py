"""Accounts for admins: list, add, disable / enable, reset a password. The core API checks the role and
the rules (never the last active admin, never your own account) and audits every change; its refusals
show in the dialog's message line."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, TypeVar

from PySide6.QtCore import QAbstractTableModel, QItemSelection, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.i18n import QT_TRANSLATE_NOOP
from app.security.accounts import UserRecord, state_text
from app.security.roles import Role
from app.security.session import Session
from app.watchlist.service import AccountService
from widgets.i18n import error_text, translated_text
from widgets.security.account_forms import AddUserForm, PasswordForm

_Index = QModelIndex | QPersistentModelIndex
_GREY, _AMBER = QColor("#8b949e"), QColor("#d29922")
_D = TypeVar("_D", bound=QDialog)


def _local(at: float) -> str:
    return dt.datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M") if at else "never"  # shown only


class UserTableModel(QAbstractTableModel):
    """One row per account (sorted by name, as the core lists them)."""

    HEADERS = (QT_TRANSLATE_NOOP("UserTableModel", "User"), QT_TRANSLATE_NOOP("UserTableModel", "Role"), QT_TRANSLATE_NOOP("UserTableModel", "State"), QT_TRANSLATE_NOOP("UserTableModel", "Last login"), QT_TRANSLATE_NOOP("UserTableModel", "Created"))

    def __init__(self, me: str = "") -> None:
        super().__init__()
        self._rows: list[UserRecord] = []
        self._me = me
        self._now = time.time()

    def set_rows(self, rows: list[UserRecord]) -> None:
        self.beginResetModel()
        self._rows, self._now = list(rows), time.time()
        self.endResetModel()

    def user_at(self, row: int) -> UserRecord:
        return self._rows[row]

    def row_of(self, name: str) -> int:
        return next((i for i, u in enumerate(self._rows) if u.name == name), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        u, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return self.tr("{name}  (you)").format(name=u.name) if u.name == self._me else u.name
            created = _local(u.created_at) + (self.tr(" by {created_by}").format(created_by=u.created_by) if u.created_by else "")
            return (u.name, u.role.value, translated_text(state_text(u, self._now)), _local(u.last_login), created)[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            if u.disabled:
                return _GREY
            if u.locked_until > self._now or u.failed_logins:
                return _AMBER
        if role == Qt.ItemDataRole.ForegroundRole and u.disabled:
            return _GREY
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.tr(self.HEADERS[section])
        return None


class AccountsDialog(QDialog):
    """``AccountsDialog(accounts, session)``: admins only (the core refuses others, audits the refusal,
    and the refusal shows in ``message``)."""

    def __init__(self, accounts: AccountService, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._accounts, self._session = accounts, session
        self.setWindowTitle(self.tr("Vigil - accounts"))
        self.model = UserTableModel(session.user)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.add_button = QPushButton(self.tr("Add user…"))
        self.disable_button = QPushButton(self.tr("Disable…"))
        self.enable_button = QPushButton(self.tr("Enable"))
        self.password_button = QPushButton(self.tr("Set password…"))
        self.add_button.clicked.connect(lambda *_: self.open_add())
        self.disable_button.clicked.connect(lambda *_: self.ask_disable())
        self.enable_button.clicked.connect(lambda *_: self.enable_selected())
        self.password_button.clicked.connect(lambda *_: self.open_password())
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.close)
        self.message = QLabel()  # refusals and mistakes
        self.message.setObjectName("InlineError")
        self.message.setWordWrap(True)
        self.status = QLabel()  # what was done
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        for button in (self.add_button, self.disable_button, self.enable_button, self.password_button):
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(self.tr("Logged in as {user} ({value}). Every change is audited.").format(user=session.user, value=session.role.value))
        )
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.status)
        layout.addLayout(bar)
        self.resize(860, 440)
        self.refresh()

    # ----- list and selection ---------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Reload the accounts (keeps the selection); False (and the reason shown) if the core refused."""
        keep = self.selected_name()
        try:
            users = self._accounts.users(self._session)
        except UserError as exc:
            self._fail(exc)
            return False
        self.model.set_rows(users)
        if keep:
            self.select(keep)
        self._update_buttons()
        return True

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.user_at(rows[0].row()).name if rows else None

    def select(self, name: str) -> None:
        row = self.model.row_of(name)
        if row >= 0:
            self.table.selectRow(row)

    def _update_buttons(self) -> None:
        name = self.selected_name()
        user = self.model.user_at(self.model.row_of(name)) if name else None
        self.disable_button.setEnabled(user is not None and not user.disabled)
        self.enable_button.setEnabled(user is not None and user.disabled)
        self.password_button.setEnabled(user is not None)

    def _on_table_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_buttons()

    def _fail(self, exc: UserError) -> None:
        self.status.clear()
        self.message.setText(error_text(exc))

    def _done(self, text: str, select: str = "") -> None:
        self.message.clear()
        self.refresh()
        if select:
            self.select(select)
        self.status.setText(text)

    # ----- actions ----------------------------------------------------------------------------------------
    def open_add(self) -> AddUserForm:
        """The add form (window-modal); a mistake shows in the form and creates nothing."""

        def add(name: str, role: Role, password: str) -> None:
            self._accounts.add_user(self._session, name, role, password)
            self._done(self.tr("Added {value} {name}.").format(value=role.value, name=name), select=name)

        return self._open(AddUserForm(add, self))

    def ask_disable(self) -> QInputDialog | None:
        """Ask why (recorded in the audit log), then disable the selected account."""
        name = self.selected_name()
        if name is None:
            return None
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("Vigil - disable {name}").format(name=name))
        dialog.setLabelText(self.tr("Why is {name} disabled? (recorded in the audit log)").format(name=name))
        dialog.textValueSelected.connect(lambda text: self.disable(name, text))
        return self._open(dialog)

    def disable(self, name: str, reason: str) -> bool:
        if not reason.strip():
            self._fail(UserError(f"{name} was not disabled: give a reason (it goes into the audit log)"))
            return False
        try:
            self._accounts.disable_user(self._session, name, reason.strip())
        except UserError as exc:
            self._fail(exc)
            return False
        self._done(self.tr("Disabled {name}; it can no longer log in.").format(name=name))
        return True

    def enable_selected(self) -> bool:
        name = self.selected_name()
        if name is None:
            return False
        try:
            self._accounts.enable_user(self._session, name)
        except UserError as exc:
            self._fail(exc)
            return False
        self._done(self.tr("Enabled {name}; it can log in again with its password.").format(name=name))
        return True

    def open_password(self) -> PasswordForm | None:
        """A reset for the selected account, or your own change (needs the current password)."""
        name = self.selected_name()
        if name is None:
            return None
        own = name == self._session.user

        def change(new: str, old: str | None) -> None:
            self._accounts.change_password(self._session, name, new, old)
            self._done(self.tr("Password of {name} changed.").format(name=name) + ("" if own else self.tr(" Tell them the new one in person.")))

        return self._open(PasswordForm(name, own, change, self))

    def _open(self, dialog: _D) -> _D:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
