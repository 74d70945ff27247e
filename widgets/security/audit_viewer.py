"""The audit log for admins: filter by user and action, and check the hash chain."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget

from app.errors import UserError
from app.i18n import QT_TRANSLATE_NOOP
from app.security.session import Session
from app.store.records import AuditRow
from app.watchlist.service import AccountService
from widgets.i18n import error_text

_Index = QModelIndex | QPersistentModelIndex


class AuditTableModel(QAbstractTableModel):
    """Rows of the audit log (oldest first)."""

    HEADERS = ("#", QT_TRANSLATE_NOOP("AuditTableModel", "Time"), QT_TRANSLATE_NOOP("AuditTableModel", "User"), QT_TRANSLATE_NOOP("AuditTableModel", "Action"), QT_TRANSLATE_NOOP("AuditTableModel", "Target"), QT_TRANSLATE_NOOP("AuditTableModel", "Details"))

    def __init__(self, rows: list[AuditRow] | None = None) -> None:
        super().__init__()
        self._rows: list[AuditRow] = rows or []

    def set_rows(self, rows: list[AuditRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, i: int) -> AuditRow:
        return self._rows[i]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        r = self._rows[index.row()]
        col = index.column()
        if col == 1:
            return dt.datetime.fromtimestamp(r.at).strftime("%Y-%m-%d %H:%M:%S")  # local time, shown only
        return (str(r.seq), "", r.actor, r.action, r.target, json.dumps(r.details, ensure_ascii=False))[col]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.tr(self.HEADERS[section])
        return None


class AuditViewer(QWidget):
    """``AuditViewer(accounts, session)``: admins only (the core API refuses others and records it)."""

    def __init__(self, accounts: AccountService, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._accounts, self._session = accounts, session
        self.model = AuditTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.actor_edit = QLineEdit()
        self.actor_edit.setPlaceholderText("user")
        self.action_edit = QLineEdit()
        self.action_edit.setPlaceholderText(self.tr("action starts with, e.g. watchlist."))
        self.refresh_button = QPushButton(self.tr("Show"))
        self.verify_button = QPushButton(self.tr("Verify chain"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.refresh_button.clicked.connect(self.refresh)
        self.verify_button.clicked.connect(self.verify)
        bar = QHBoxLayout()
        for w in (self.actor_edit, self.action_edit, self.refresh_button, self.verify_button):
            bar.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        try:
            rows = self._accounts.audit_rows(
                self._session, self.actor_edit.text().strip(), self.action_edit.text().strip()
            )
        except UserError as exc:
            self.status.setText(error_text(exc))
            return
        self.model.set_rows(rows)
        self.status.setText(self.tr("{count} entries").format(count=len(rows)))

    def verify(self) -> None:
        try:
            verdict = self._accounts.verify_audit(self._session)
        except UserError as exc:
            self.status.setText(error_text(exc))
            return
        if verdict.ok:
            self.status.setText(self.tr("chain intact: {rows} rows; newest hash {value}...").format(rows=verdict.rows, value=verdict.head_hash[:16]))
        else:
            self.status.setText(self.tr("CHAIN BROKEN at row {first_broken_seq}: {reason}").format(first_broken_seq=verdict.first_broken_seq, reason=verdict.reason))
