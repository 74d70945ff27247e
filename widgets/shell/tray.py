"""Hide the station to the system tray: the window goes away, capture, analysis, recording and event
clips keep running; the tray icon brings it back or ends the session."""

from __future__ import annotations

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMainWindow, QMenu, QSystemTrayIcon

from app import paths
from widgets.i18n import translate


class StationTray:
    """A tray icon with Show / Quit, and a "Hide to tray" action (Ctrl+H) in the window's View menu.
    Does nothing where the desktop has no tray (``available`` is False)."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.hide_action = QAction(translate("StationTray", "Hide to tray (recording and analysis continue)"), window)
        self.hide_action.setShortcut("Ctrl+H")
        self.hide_action.setEnabled(self.available)
        self.hide_action.triggered.connect(self.hide_window)
        window.addAction(self.hide_action)
        view = next(
            (a.menu() for a in window.menuBar().actions() if a.menu() is not None and a.menu().objectName() == "ViewMenu"), None
        )
        if isinstance(view, QMenu):
            view.addSeparator()
            view.addAction(self.hide_action)
        self.icon: QSystemTrayIcon | None = None
        if self.available:
            self.icon = QSystemTrayIcon(QIcon(str(paths.resource("resources", "icons", "vigil.svg"))), window)
            self.icon.setToolTip(translate("StationTray", "Vigil: the station is running"))
            menu = QMenu(window)
            menu.addAction(translate("StationTray", "Show the station"), self.show_window)
            menu.addAction(translate("StationTray", "Quit Vigil"), window.close)
            self.icon.setContextMenu(menu)
            self.icon.activated.connect(lambda _reason: self.show_window())
            self.icon.show()

    def hide_window(self) -> None:
        if self.available:
            self.window.hide()

    def show_window(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
