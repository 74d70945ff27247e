"""Login at start (the very first start creates the admin account instead) and the idle lock."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.security.session import Session
from app.watchlist.service import AccountService
from widgets.i18n import error_text


class LoginDialog(QDialog):
    """Asks for user and password; ``session`` is set when accepted. With no account yet, asks for the
    first admin's name and password (twice) and creates it."""

    def __init__(self, accounts: AccountService, parent: QWidget | None = None, user: str = "") -> None:
        super().__init__(parent)
        self._accounts = accounts
        self.session: Session | None = None
        self.first_start = not accounts.has_users()
        self.setWindowTitle(self.tr("Vigil - create the admin account") if self.first_start else self.tr("Vigil - log in"))
        self.user_edit = QLineEdit(user or ("admin" if self.first_start else ""))
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat_edit = QLineEdit()
        self.repeat_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c62828")
        self.error_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("User"), self.user_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        if self.first_start:
            form.addRow(self.tr("Repeat"), self.repeat_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if self.first_start:
            layout.addWidget(
                QLabel(self.tr("First start: choose the administrator's name and password (8+ characters)."))
            )
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        (self.password_edit if user else self.user_edit).setFocus()

    def _on_buttons_accepted(self) -> None:
        name, password = self.user_edit.text().strip(), self.password_edit.text()
        try:
            if self.first_start:
                if password != self.repeat_edit.text():
                    raise UserError(self.tr("the two passwords differ"))
                self.session = self._accounts.create_first_admin(name, password)
            else:
                self.session = self._accounts.login(name, password)
        except UserError as exc:
            self.error_label.setText(error_text(exc))
            self.password_edit.clear()
            self.repeat_edit.clear()
            self.password_edit.setFocus()
            return
        self.accept()


class IdleWatcher(QObject):
    """Touches the session on user input and emits ``expired`` once when it locks from idleness (show a
    ``LoginDialog`` then). Install once: ``IdleWatcher(session, window)``."""

    expired = Signal()
    _INPUT = {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
    }

    def __init__(self, session: Session, parent: QObject | None = None, check_ms: int = 5000) -> None:
        super().__init__(parent)
        self.session = session
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start(check_ms)
        self._fired = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in self._INPUT and not self.session.expired:
            self.session.touch()
        return False

    def _on_timer_timeout(self) -> None:
        if self.session.expired and not self._fired:
            self._fired = True
            self.expired.emit()
