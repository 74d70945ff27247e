"""Who is at the console: the login at start, the idle lock (the wall keeps showing video underneath, the
controls are off) and the one permission check the window's protected actions go through.

``SessionGate(services)`` holds the current ``Session``; the core API enforces roles again on every call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.clips.export import Exporter
from app.security.roles import Permission
from app.security.session import Session, require
from app.watchlist.service import AccountService, WatchlistService
from widgets.security import IdleWatcher, LoginDialog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WindowServices:
    """What the window's protected actions call (built in app/cli/gui.py over the station's writer)."""

    accounts: AccountService
    watchlists: WatchlistService
    exporter: Exporter


class SessionGate(QObject):
    """The logged-in session of the window. ``logged_in(Session)`` after every login; ``locked()`` when
    the session locks (idle, or the user locked it); ``login_cancelled()`` when the first login is
    abandoned (the window then closes: nobody is at the console)."""

    logged_in = Signal(object)  # Session
    locked = Signal()
    login_cancelled = Signal()

    def __init__(self, accounts: AccountService, parent: QWidget, idle_check_ms: int = 5000) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self._parent = parent
        self.session: Session | None = None
        self.watcher: IdleWatcher | None = None
        self.dialog: LoginDialog | None = None
        self._idle_check_ms = idle_check_ms
        self._last_user = ""
        self._closing = False

    # ----- state --------------------------------------------------------------------------------------
    @property
    def is_locked(self) -> bool:
        return self.session is None or self.session.expired

    def user(self) -> str:
        """The user name for acknowledgements and exports ("" when nobody is logged in)."""
        return self.session.user if self.session is not None else ""

    def can(self, permission: Permission) -> bool:
        """For showing or hiding controls only (``require`` is the real check)."""
        return self.session is not None and self.session.can(permission)

    def require(self, permission: Permission, target: str = "") -> str:
        """The acting user if the session may do ``permission`` now; else raises ``PermissionDenied`` /
        ``SessionExpired`` (the core writes the refusal to the audit log)."""
        session = self.session
        return self.accounts.runner.run(lambda db: require(db, session, permission, target))

    # ----- login and lock -------------------------------------------------------------------------------
    def set_session(self, session: Session) -> None:
        """Start watching ``session`` for idleness and tell the window who is logged in."""
        self.session = session
        self._last_user = session.user
        if self.watcher is not None:
            self.watcher.deleteLater()  # a deleted event filter is removed from the application
        self.watcher = IdleWatcher(session, self, check_ms=self._idle_check_ms)
        self.watcher.expired.connect(self._on_watcher_expired)
        self.logged_in.emit(session)

    def request_login(self, user: str = "") -> LoginDialog:
        """Show the login dialog (non-modal: the wall keeps running); the first start creates the admin.
        ``user`` fills in the name (default: the last user of this window)."""
        self._last_user = user or self._last_user
        if self.dialog is not None:
            self.dialog.show()
            self.dialog.raise_()
            return self.dialog
        dialog = LoginDialog(self.accounts, self._parent, user=self._last_user)
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda d=dialog: self._on_dialog_accepted(d))
        dialog.rejected.connect(self._on_dialog_rejected)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def lock(self) -> None:
        """Lock now (menu, or idle): controls go off and the login dialog shows."""
        if self.session is not None:
            self.session.lock()
        log.info("session of %s locked", self._last_user or "nobody")
        self.locked.emit()
        self.request_login()

    def shut_down(self) -> None:
        """The window closes: close the login dialog without treating it as an abandoned login."""
        self._closing = True
        if self.watcher is not None:
            self.watcher.deleteLater()
            self.watcher = None
        if self.dialog is not None:
            self.dialog.close()

    def _on_watcher_expired(self) -> None:
        self.lock()

    def _on_dialog_accepted(self, dialog: LoginDialog) -> None:
        if dialog.session is not None:
            self.set_session(dialog.session)

    def _on_dialog_rejected(self) -> None:
        if self.session is None and not self._closing:
            self.login_cancelled.emit()

    def _on_dialog_finished(self, _result: int) -> None:
        self.dialog = None


class LockBanner(QWidget):
    """A strip above the wall while the session is locked, with the way back in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LockBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "QWidget#LockBanner { background: #3b2a5a; border-bottom: 1px solid #a371f7; }"
            "QWidget#LockBanner QLabel { background: transparent; font-size: 16px; font-weight: bold; }"
        )
        self.label = QLabel()
        self.login_button = QPushButton(self.tr("Log in…"))
        self.login_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.login_button)
        self.hide()

    def show_locked(self, user: str) -> None:
        who = self.tr("{user}'s session is locked").format(user=user) if user else self.tr("Nobody is logged in")
        self.label.setText(self.tr("{who}: the cameras keep running, the controls are off until someone logs in.").format(who=who))
        self.show()
