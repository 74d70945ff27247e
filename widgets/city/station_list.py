"""Station list of the city roll-up: each mall's online state, last heartbeat, cameras live and backlog.
Reads the roll-up database read-only and refreshes every few seconds; a double-click on a mall emits
``station_activated(station id)`` (the city window filters its timeline and events to it)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from widgets.i18n import error_text

STALE_S = 60.0  # no heartbeat for this long: shown as silent


class StationList(QWidget):
    station_activated = Signal(str)

    def __init__(self, db_path: Path | str, parent: QWidget | None = None, refresh_ms: int = 5000) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.summary = QLabel(self)
        self.table = QTableWidget(0, 6, self)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Station"), self.tr("State"), self.tr("Last heartbeat"), self.tr("Cameras live"),
             self.tr("Backlog"), self.tr("Events today")]
        )  # fmt: skip
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setToolTip(self.tr("Double-click a mall to show only its compliance and events"))
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)
        self.refresh()

    def refresh(self) -> None:
        day0 = time.time() - time.time() % 86400
        try:
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
            try:
                rows = conn.execute(
                    "SELECT s.station_id, s.online, s.last_heartbeat, s.cameras_live, s.cameras_total, s.backlog, "
                    "s.outbox_full, (SELECT count(*) FROM events e WHERE e.station_id = s.station_id AND e.at >= ?) "
                    "FROM stations s ORDER BY s.station_id",
                    (day0,),
                ).fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            self.summary.setText(self.tr("Cannot read the roll-up database: %1").replace("%1", error_text(exc)))
            return
        now = time.time()
        self.table.setRowCount(len(rows))
        online = 0
        for r, (sid, on, beat, live, total, backlog, full, events) in enumerate(rows):
            silent = not beat or now - beat > STALE_S
            if on and not silent:
                state, colour = self.tr("online"), QColor("#2e7d32")
                online += 1
            elif on:
                state, colour = self.tr("silent"), QColor("#f9a825")
            else:
                state, colour = self.tr("offline"), QColor("#c62828")
            ago = self.tr("never") if not beat else self._ago(now - beat)
            back = str(backlog) + (self.tr(" (outbox full)") if full else "")
            cells = [sid, state, ago, f"{live}/{total}", back, str(events)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1:
                    item.setForeground(colour)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.summary.setText(
            self.tr("%1 of %2 stations online").replace("%1", str(online)).replace("%2", str(len(rows)))
        )

    def _ago(self, s: float) -> str:
        if s < 120:
            return self.tr("%1 s ago").replace("%1", str(max(0, int(s))))
        if s < 7200:
            return self.tr("%1 min ago").replace("%1", str(int(s // 60)))
        if s < 2 * 86400:
            return self.tr("%1 h ago").replace("%1", str(int(s // 3600)))
        return self.tr("%1 days ago").replace("%1", str(int(s // 86400)))

    def _on_table_cell_double_clicked(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.station_activated.emit(item.text())
