"""WallWindow: an extra full-screen grid on another monitor (video walls span several screens)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QScreen, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.station_api import Station
from widgets.wall.camera_grid import CameraGrid
from widgets.wall.grid_layouts import QUICK_LAYOUTS


class WallWindow(QWidget):
    """A frameless full-screen grid on ``screen``; same keys as the main wall; Ctrl+W closes it."""

    closed = Signal(object)  # self

    def __init__(self, station: Station, screen: QScreen, grid: str = "3x3") -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Vigil wall - {name}").format(name=screen.name()))
        self.screen_name = screen.name()
        self.grid = CameraGrid(station, self, grid=grid)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.grid)
        for i, name in enumerate(QUICK_LAYOUTS, start=1):
            for key in (str(i), f"Ctrl+{i}"):
                QShortcut(QKeySequence(key), self, lambda n=name: self.grid.set_grid(n))
        QShortcut(QKeySequence(Qt.Key.Key_PageDown), self, self.grid.next_page)
        QShortcut(QKeySequence(Qt.Key.Key_PageUp), self, self.grid.previous_page)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.grid.restore)
        QShortcut(QKeySequence(Qt.Key.Key_F11), self, self.toggle_full_screen)
        QShortcut(QKeySequence("Ctrl+W"), self, self.close)
        self.setScreen(screen)
        self.setGeometry(screen.geometry())

    def show_on_screen(self) -> None:
        self.showFullScreen()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        self.closed.emit(self)
        super().closeEvent(event)
