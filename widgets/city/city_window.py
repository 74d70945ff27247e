"""The city window on a roll-up database: the station list, the compliance timeline (all malls, or one
mall's entrances) and the events panel with a mall column and filter. Read-only: no cameras, no wall.

The timeline and events are the station window's own widgets (``ComplianceView``, ``EventPanel``) over
``RollupReader``, which presents each station as a site (mall) and its cameras as ``<station>/<camera>``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.config import StationConfig
from app.rollup.reader import RollupReader
from widgets.city.city_feed import CityFeed, CityUpdate
from widgets.city.station_list import StationList
from widgets.compliance.compliance_view import ALL, ComplianceView
from widgets.events.event_model import THUMB_PX, EventTableModel
from widgets.events.event_panel import SITE_COLUMN, EventPanel

FACE_COLUMN = EventTableModel.COLUMNS.index("Face")


class CityWindow(QMainWindow):
    """``CityWindow(db_path)``; ``show_mall(station_id)`` (or ``""``: all malls) filters timeline and events."""

    def __init__(self, db_path: Path | str, parent: QWidget | None = None, refresh_ms: int = 5000) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.setWindowTitle(self.tr("Vigil - city"))
        self._config = StationConfig()
        self.stations = StationList(self.db_path, refresh_ms=refresh_ms)
        self.events_model = EventTableModel(self._config, parent=self)
        self.event_panel = EventPanel(self.events_model)
        self.compliance = ComplianceView(self.db_path, self._config, reader_factory=RollupReader)
        self.compliance.report_button.setVisible(False)  # the station's report dialog; here: vigil report --db
        self.status_line = QLabel()
        self.statusBar().addWidget(self.status_line, 1)

        stations_box = QWidget()
        sl = QVBoxLayout(stations_box)
        sl.setContentsMargins(4, 4, 4, 4)
        title = QLabel(self.tr("Malls"))
        title.setObjectName("PanelTitle")
        sl.addWidget(title)
        sl.addWidget(self.stations, 1)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(stations_box)
        left.addWidget(self.event_panel)
        left.setStretchFactor(0, 2)
        left.setStretchFactor(1, 3)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.compliance)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setSizes([720, 1200])
        # the mall is what tells two "cam1" apart: its column comes right after the time
        header = self.event_panel.table.horizontalHeader()
        header.moveSection(header.visualIndex(SITE_COLUMN), 1)
        self._thumbnails = False
        self._show_faces(False)
        self.setCentralWidget(split)

        self.stations.station_activated.connect(self._on_stations_station_activated)
        self.compliance.scope.currentIndexChanged.connect(self._on_compliance_scope_current_index_changed)
        self.feed = CityFeed(self.db_path, refresh_ms, self)
        self.feed.updated.connect(self._on_feed_updated)
        self.feed.start()

    def show_mall(self, station_id: str) -> None:
        """Only this mall's compliance (its entrance cameras) and events; ``""``: every mall."""
        i = self.compliance.scope.findData(station_id or ALL)
        if i >= 0:
            self.compliance.scope.setCurrentIndex(i)  # the events follow (scope slot)
        j = self.event_panel.site_filter.findData(station_id or None)
        if j >= 0:
            self.event_panel.site_filter.setCurrentIndex(j)

    def _on_stations_station_activated(self, station_id: str) -> None:
        self.show_mall(station_id)

    def _on_compliance_scope_current_index_changed(self, _: int) -> None:
        j = self.event_panel.site_filter.findData(self.compliance.scope.currentData() or None)
        if j >= 0:
            self.event_panel.site_filter.setCurrentIndex(j)

    def _on_feed_updated(self, update: CityUpdate) -> None:
        if update.error:
            self.status_line.setText(self.tr("Cannot read the roll-up database: %1").replace("%1", update.error))
            return
        self.status_line.setText(
            self.tr("%1 malls, %2 cameras · %3 (read-only)")
            .replace("%1", str(len(update.config.sites)))
            .replace("%2", str(len(update.config.cameras)))
            .replace("%3", str(self.db_path))
        )
        if update.config != self._config:  # a new mall or camera: the filters and the timeline's lines
            self._config = update.config
            self.event_panel.set_config(update.config)
            self.compliance.config = update.config
            self.compliance.reload()
        if update.events:
            if not self._thumbnails and any(e.event.thumbnail_jpeg for e in update.events):
                self._show_faces(True)
            self.events_model.add_stored(update.events)

    def _show_faces(self, shown: bool) -> None:
        """Face crops leave a mall only where its site allows it: without any, no empty column and low rows."""
        self._thumbnails = shown
        table = self.event_panel.table
        table.setColumnHidden(FACE_COLUMN, not shown)
        row = THUMB_PX + 6 if shown else table.fontMetrics().height() + 10
        table.verticalHeader().setDefaultSectionSize(row)

    def closeEvent(self, event: object) -> None:  # noqa: N802 (Qt naming)
        self.feed.stop()
        self.feed.wait(5.0)
        self.compliance.close()
        super().closeEvent(event)  # type: ignore[arg-type]
