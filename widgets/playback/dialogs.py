"""Dialogs of the playback view: add a bookmark (optionally an evidence lock) and the list of bookmarks and
locks where supervisors release a lock. They collect input and show rows; app/store/bookmarks.py decides."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store.bookmarks import Bookmark

LOCK_DAYS = 90


def _local(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


class BookmarkDialog(QDialog):
    """Name, note and (for supervisors) an evidence lock with reason and expiry over ``span``."""

    def __init__(self, cameras: Sequence[str], span: tuple[float, float], can_lock: bool,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(self.tr("Bookmark"))
        self.setObjectName("BookmarkDialog")
        start, end = span
        when = _local(start) if end <= start else f"{_local(start)} – {time.strftime('%H:%M:%S', time.localtime(end))}"
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("required, e.g. bag left at the entrance"))
        self.note_edit = QLineEdit()
        self.lock_check = QCheckBox(self.tr("Evidence lock: never delete this range"))
        self.lock_check.setVisible(can_lock)
        self.lock_check.setEnabled(end > start)
        if end <= start:
            self.lock_check.setToolTip(self.tr("Set in and out marks ([ and ]) to lock a range"))
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(self.tr("required for a lock, e.g. police request PD-2026/0301"))
        self.expires_edit = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(time.time() + LOCK_DAYS * 86400)))
        self.expires_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.no_expiry = QCheckBox(self.tr("until released"))
        for w in (self.reason_edit, self.expires_edit, self.no_expiry):
            w.setEnabled(False)
            w.setVisible(can_lock)
        self.lock_check.toggled.connect(self._on_lock_check_toggled)
        self.error = QLabel()
        self.error.setStyleSheet("color: #ff7b72;")
        form = QFormLayout()
        form.addRow(self.tr("Cameras"), QLabel(", ".join(cameras)))
        form.addRow(self.tr("Time"), QLabel(when))
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("Note"), self.note_edit)
        if can_lock:
            form.addRow("", self.lock_check)
            form.addRow(self.tr("Reason"), self.reason_edit)
            row = QHBoxLayout()
            row.addWidget(self.expires_edit, 1)
            row.addWidget(self.no_expiry)
            form.addRow(self.tr("Expires"), row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.error)
        box.addWidget(buttons)

    def _on_lock_check_toggled(self, on: bool) -> None:
        for w in (self.reason_edit, self.expires_edit, self.no_expiry):
            w.setEnabled(on)

    def _on_buttons_accepted(self) -> None:
        if not self.name_edit.text().strip():
            self.error.setText(self.tr("Give the bookmark a name."))
            return
        if self.lock_check.isChecked() and not self.reason_edit.text().strip():
            self.error.setText(self.tr("An evidence lock needs a reason."))
            return
        self.accept()

    def expires(self) -> float | None:
        if self.no_expiry.isChecked():
            return None
        return float(self.expires_edit.dateTime().toSecsSinceEpoch())


class LocksDialog(QDialog):
    """Bookmarks and evidence locks; ``release_requested(id)`` and ``open_requested(Bookmark)``."""

    release_requested = Signal(int)
    open_requested = Signal(object)

    def __init__(self, can_release: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Bookmarks and evidence locks"))
        self.setObjectName("LocksDialog")
        self.resize(1200, 420)
        self.rows: list[Bookmark] = []
        self.table = QTableWidget(0, 7)
        self.table.setHorizontalHeaderLabels([
            self.tr("#"), self.tr("Camera"), self.tr("From"), self.tr("To"), self.tr("Name"), self.tr("Lock"),
            self.tr("By"),
        ])  # fmt: skip
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)
        self.release_button = QPushButton(self.tr("Release lock"))
        self.release_button.setVisible(can_release)
        self.release_button.clicked.connect(self._on_release_button_clicked)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Double-click a row to play it.")), 1)
        row.addWidget(self.release_button)
        row.addWidget(close)
        box = QVBoxLayout(self)
        box.addWidget(self.table, 1)
        box.addLayout(row)

    def set_rows(self, rows: Sequence[Bookmark]) -> None:
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        now = time.time()
        for i, b in enumerate(self.rows):
            if b.lock_active(now):
                until = self.tr("until released") if b.lock_expires is None else _local(b.lock_expires)
                lock = self.tr("LOCKED ({until}): {reason}").format(until=until, reason=b.lock_reason)
            elif b.locked:
                lock = self.tr("released by {who}").format(who=b.released_by) if b.released_by else self.tr("expired")
            else:
                lock = ""
            values = [str(b.id), b.camera_id, _local(b.start), _local(b.end) if b.is_range else "", b.name + (f" – {b.note}" if b.note else ""),
                      lock, b.created_by]  # fmt: skip
            for j, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setData(Qt.ItemDataRole.UserRole, b.id)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()

    def selected(self) -> Bookmark | None:
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def _on_release_button_clicked(self) -> None:
        b = self.selected()
        if b is not None:
            self.release_requested.emit(b.id)

    def _on_table_cell_double_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.rows):
            self.open_requested.emit(self.rows[row])
