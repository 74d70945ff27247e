"""NoticeStrip: non-modal notices (errors, camera drops) that never block the wall."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.logs import redact

LEVELS = ("info", "warning", "error")


class NoticeStrip(QWidget):
    """A one-line strip above the wall; the newest notice shows, older ones are counted; auto-hides."""

    def __init__(self, parent: QWidget | None = None, hide_after_s: float = 12.0) -> None:
        super().__init__(parent)
        self.setObjectName("NoticeStrip")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._label = QLabel()
        self._label.setObjectName("NoticeText")
        self._count = QLabel()
        close = QPushButton(self.tr("Dismiss"))
        close.setObjectName("NoticeDismiss")
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._count)
        layout.addWidget(close)
        close.clicked.connect(self.dismiss)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self._hide_after_ms = int(hide_after_s * 1000)
        self.history: list[tuple[float, str, str]] = []  # (epoch, level, text) of this session
        self._unseen = 0
        self.hide()

    def notify(self, text: str, level: str = "info") -> None:
        """Show ``text`` (credentials are redacted) without taking focus."""
        text = redact(text)
        self.history.append((time.time(), level, text))
        del self.history[:-200]
        self._unseen += 1
        self._label.setText(f"{time.strftime('%H:%M:%S')}  {text}")
        self.setProperty("level", level if level in LEVELS else "info")
        self.style().unpolish(self)
        self.style().polish(self)
        self._count.setText(self.tr("+{value} more").format(value=self._unseen - 1) if self._unseen > 1 else "")
        self.show()
        self._timer.start(self._hide_after_ms * (2 if level == "error" else 1))

    def text(self) -> str:
        return self._label.text()

    def dismiss(self) -> None:
        self._unseen = 0
        self.hide()
