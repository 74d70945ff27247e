"""``ComplianceView``: the compliance tab: range presets, malls overlaid or stacked, drill-down to a
mall's entrance cameras, the events of a clicked bucket, live refresh, and the report button.

``ComplianceView(db_path, config)``; the integrator adds it as a tab or dock. It reads the store with its
own read-only connections on a worker thread and never writes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.config import StationConfig
from app.errors import UserError
from app.i18n import QT_TRANSLATE_NOOP
from app.reports.basis import compliance_text
from app.reports.model import site_zone
from app.store.buckets import preset_range, station_zone, timeline_bucket
from app.store.compliance_query import ComplianceReader, ComplianceSeries, SiteInfo
from widgets.compliance.compliance_query import QueryRunner, SeriesSpec, TimelineQuery, TimelineResult
from widgets.compliance.timeline import TimelinePlot
from widgets.events.event_model import KIND_TEXT
from widgets.i18n import error_text, translate

log = logging.getLogger(__name__)

PRESET_LABELS = {
    "hour": QT_TRANSLATE_NOOP("ComplianceView", "Last hour"),
    "shift": QT_TRANSLATE_NOOP("ComplianceView", "This shift"),
    "today": QT_TRANSLATE_NOOP("ComplianceView", "Today"),
    "7d": QT_TRANSLATE_NOOP("ComplianceView", "7 days"),
    "30d": QT_TRANSLATE_NOOP("ComplianceView", "30 days"),
    "custom": QT_TRANSLATE_NOOP("ComplianceView", "Custom"),
}
REFRESH_MS = 2000
ALL = ""  # scope: every mall


class ComplianceView(QWidget):
    """Timeline + drill-down + events of a bucket + report button, over the store at ``db_path``."""

    def __init__(
        self,
        db_path: Path | str,
        config: StationConfig,
        parent: QWidget | None = None,
        reader_factory: Callable[[Path], ComplianceReader] = ComplianceReader,
    ) -> None:
        """``reader_factory``: how to read ``db_path`` (the city window passes ``RollupReader``)."""
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.config = config
        self._reader_factory = reader_factory
        self.clock = time.time
        self._reader: ComplianceReader | None = None
        self._runner: QueryRunner | None = None
        self._sites: list[SiteInfo] = []
        self._generation = 0
        self._query: TimelineQuery | None = None
        self._build_ui()
        self.refresh_timer = QTimer(self, interval=REFRESH_MS)
        self.refresh_timer.timeout.connect(self._on_refresh_timer_timeout)
        self.reload()
        self.refresh_timer.start()

    # ----- layout -------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.scope = QComboBox()
        self.scope.setToolTip(self.tr("All malls, or one mall's entrance cameras"))
        self.preset = QComboBox()
        for key, label in PRESET_LABELS.items():
            self.preset.addItem(self.tr(label), key)
        self.preset.setCurrentIndex(list(PRESET_LABELS).index("today"))
        self.custom_from, self.custom_to = QDateTimeEdit(), QDateTimeEdit()
        for edit in (self.custom_from, self.custom_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setVisible(False)
            edit.editingFinished.connect(self.reload)
        self.mode = QComboBox()
        self.mode.addItem(self.tr("Overlay"), "overlay")
        self.mode.addItem(self.tr("Stacked"), "stacked")
        self.target = QDoubleSpinBox()
        self.target.setRange(0, 100)
        self.target.setDecimals(1)
        self.target.setSuffix(" %")
        self.target.setValue(95.0)
        self.target.setToolTip(self.tr("Target compliance line"))
        self.report_button = QPushButton(self.tr("Report…"))
        self.status = QLabel("")
        bar = QHBoxLayout()
        for w in (QLabel(self.tr("Show")), self.scope, QLabel(self.tr("Range")), self.preset, self.custom_from, self.custom_to):
            bar.addWidget(w)
        for w in (self.mode, QLabel(self.tr("Target")), self.target):
            bar.addWidget(w)
        # the per-mall figures grow with the malls (the city has ~300): the label takes what is left of the
        # bar, never widens the window, and its tooltip holds the whole text
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.report_button)
        self.timeline = TimelinePlot(self)
        self.timeline.set_target(self.target.value())
        self.events_title = QLabel(self.tr("Click a point to list the events of that minute."))
        self.events = QTableWidget(0, 5)
        self.events.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Camera"), self.tr("Event"), self.tr("Track"), self.tr("Acknowledged")])
        self.events.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.events.horizontalHeader().setStretchLastSection(True)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.events_title)
        ll.addWidget(self.events)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.timeline)
        split.addWidget(lower)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self.scope.currentIndexChanged.connect(self._on_scope_current_index_changed)
        self.preset.currentIndexChanged.connect(self._on_preset_current_index_changed)
        self.mode.currentIndexChanged.connect(lambda _: self.timeline.set_mode(self.mode.currentData()))
        self.target.valueChanged.connect(self.timeline.set_target)
        self.report_button.clicked.connect(self._on_report_button_clicked)
        self.timeline.point_clicked.connect(self._on_timeline_point_clicked)
        self.timeline.point_double_clicked.connect(self._on_timeline_point_double_clicked)
        self.timeline.view_changed.connect(self._on_timeline_view_changed)

    # ----- store and sites ----------------------------------------------------------------------------
    def _open(self) -> bool:
        if self._reader is not None:
            return True
        try:
            self._reader = self._reader_factory(self.db_path)
        except UserError as exc:
            self.status.setText(self.tr("No data yet"))
            self.status.setToolTip(error_text(exc))
            return False
        self._runner = QueryRunner(self._reader, self)
        self._runner.finished.connect(self._on_runner_finished)
        return True

    def sites(self) -> list[SiteInfo]:
        return list(self._sites)

    def _load_sites(self) -> None:
        assert self._reader is not None
        found = [s for s in self._reader.sites() if s.cameras]
        by_cfg = {s.id: s for s in self.config.sites}
        self._sites = [
            SiteInfo(s.id, by_cfg[s.id].name if s.id in by_cfg else s.name, s.timezone, s.cameras)
            for s in found
        ]
        current = self.scope.currentData()
        self.scope.blockSignals(True)
        self.scope.clear()
        self.scope.addItem(self.tr("All malls"), ALL)
        for s in self._sites:
            self.scope.addItem(self.tr("{name} › entrances").format(name=s.name), s.id)
        i = self.scope.findData(current) if current is not None else 0
        self.scope.setCurrentIndex(max(0, i))
        self.scope.blockSignals(False)

    def zone_of(self, site: SiteInfo | None) -> tzinfo:
        if site is None:
            return station_zone()
        cfg = self.config.site(site.id)
        return site_zone(site, cfg.timezone if cfg is not None else "")

    def _scope_site(self) -> SiteInfo | None:
        sid = self.scope.currentData()
        return next((s for s in self._sites if s.id == sid), None) if sid else None

    def series_specs(self) -> tuple[SeriesSpec, ...]:
        site = self._scope_site()
        if site is not None:
            return tuple(SeriesSpec(c.id, c.name, (c.id,)) for c in site.cameras)
        return tuple(SeriesSpec(s.id, s.name, s.camera_ids) for s in self._sites)

    def current_zone(self) -> tzinfo:
        site = self._scope_site() or (self._sites[0] if self._sites else None)
        return self.zone_of(site)

    # ----- ranges and queries -------------------------------------------------------------------------
    def current_range(self) -> tuple[float, float]:
        key = self.preset.currentData()
        if key == "custom":
            return (
                self.custom_from.dateTime().toSecsSinceEpoch() * 1.0,
                self.custom_to.dateTime().toSecsSinceEpoch() * 1.0,
            )
        return preset_range(key, self.clock(), self.current_zone(), self.config.shift_starts)

    def reload(self) -> None:
        """Read the whole range again (range, scope or mode changed)."""
        if not self._open():
            return
        try:
            self._load_sites()
        except UserError as exc:
            self.status.setText(error_text(exc))
            return
        start, end = self.current_range()
        if end <= start:
            self.status.setText(self.tr("The range is empty: 'to' must be after 'from'"))
            return
        self._submit(start, end, tail_from=None)

    def _submit(self, start: float, end: float, tail_from: float | None) -> None:
        assert self._runner is not None
        zone = self.current_zone()
        self.timeline.set_zone(zone)
        self._generation += 1
        q = TimelineQuery(
            self._generation, self.series_specs(), start, end, timeline_bucket(end - start), zone, tail_from
        )
        if tail_from is None:
            self._query = q
        self._runner.submit(q)

    def _on_runner_finished(self, result: TimelineResult) -> None:
        if result.error:
            self.status.setText(result.error)
            return
        q = result.query
        series = list(result.series)
        x_range: tuple[float, float] | None = (q.start, q.end)
        if q.tail_from is not None:
            old = {s.key: s for s in self.timeline.series()}
            series = [old[s.key].spliced(s, q.start) if s.key in old else s for s in series]
            if self._query is not None and not self.timeline.shows(self._query.start, self._query.end):
                x_range = None  # the user zoomed in: keep the view, only the data moves on
        self._query = q
        self.timeline.set_series(series, x_range)
        text = self.tr("{count} line(s) · {bucket_min} min buckets").format(count=len(series), bucket_min=q.bucket_min) + series_basis(series)
        self.status.setText(text)
        self.status.setToolTip(text.replace(" · ", "\n"))

    def _on_refresh_timer_timeout(self) -> None:
        """Live: re-read only the newest buckets of a range that ends now."""
        if self._runner is None:
            self.reload()
            return
        q = self._query
        if q is None or self._runner.busy or self.preset.currentData() == "custom":
            return
        start, end = self.current_range()
        shown = self.timeline.series()
        if (
            timeline_bucket(end - start) != q.bucket_min
            or not shown
            or len(shown[0]) < 2
            or start < q.start
            or tuple(s.key for s in shown) != tuple(s.key for s in q.series)
        ):
            self._submit(start, end, tail_from=None)
            return
        self._submit(start, end, tail_from=float(shown[0].edges[-3]))

    # ----- slots --------------------------------------------------------------------------------------
    def _on_scope_current_index_changed(self, _: int) -> None:
        self.events.setRowCount(0)
        self.events_title.setText(self.tr("Click a point to list the events of that minute."))
        self.reload()

    def _on_preset_current_index_changed(self, _: int) -> None:
        custom = self.preset.currentData() == "custom"
        if custom and self._query is not None:
            self.custom_from.setDateTime(QDateTime.fromSecsSinceEpoch(int(self._query.start)))
            self.custom_to.setDateTime(QDateTime.fromSecsSinceEpoch(int(self._query.end)))
        for edit in (self.custom_from, self.custom_to):
            edit.setVisible(custom)
        self.reload()

    def _on_timeline_view_changed(self, lo: float, hi: float) -> None:
        """After a zoom or pan that needs other data (outside the range, or finer buckets): read it."""
        q = self._query
        if q is None or hi <= lo:
            return
        finer = timeline_bucket(hi - lo) < q.bucket_min
        if lo < q.start - 1 or hi > q.end + 1 or finer:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(list(PRESET_LABELS).index("custom"))
            self.preset.blockSignals(False)
            self.custom_from.setDateTime(QDateTime.fromSecsSinceEpoch(int(lo)))
            self.custom_to.setDateTime(QDateTime.fromSecsSinceEpoch(int(hi)))
            for edit in (self.custom_from, self.custom_to):
                edit.setVisible(True)
            self._submit(lo, hi, tail_from=None)

    def _on_timeline_point_clicked(self, key: str, start: float, end: float) -> None:
        self.show_events(key, start, end)

    def _on_timeline_point_double_clicked(self, key: str) -> None:
        i = self.scope.findData(key)
        if self.scope.currentData() == ALL and i >= 0:
            self.scope.setCurrentIndex(i)

    def show_events(self, key: str, start: float, end: float) -> None:
        """List the stored events of series ``key`` in [start, end)."""
        if self._reader is None:
            return
        spec = next((s for s in self.series_specs() if s.key == key), None)
        cams = spec.camera_ids if spec is not None else (key,)
        rows = self._reader.events_between(cams, start, end)
        zone = self.current_zone()
        a, b = datetime.fromtimestamp(start, zone), datetime.fromtimestamp(end, zone)
        label = spec.label if spec is not None else key
        self.events_title.setText(self.tr("{count} event(s) · {label} · {a:%Y-%m-%d %H:%M}–{b:%H:%M %Z}").format(count=len(rows), label=label, a=a, b=b))
        self.events.setRowCount(len(rows))
        for r, ev in enumerate(rows):
            cells = (
                datetime.fromtimestamp(ev.at, zone).strftime("%H:%M:%S"),
                ev.camera_name,
                translate("EventTableModel", KIND_TEXT[ev.kind]) if ev.kind in KIND_TEXT else ev.kind.value.replace("_", " "),
                "" if ev.track_id is None else str(ev.track_id),
                ev.acknowledged_by or "",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 0:  # the window reads this to highlight the camera or export around the event
                    item.setData(Qt.ItemDataRole.UserRole, (ev.camera_id, ev.at, ev.kind.value, ev.track_id))
                self.events.setItem(r, c, item)
        self.events.resizeColumnsToContents()

    def _on_report_button_clicked(self) -> None:
        from widgets.compliance.compliance_report import ReportDialog

        start, end = self._query and (self._query.start, self._query.end) or self.current_range()
        dialog = ReportDialog(self.db_path, self._sites, (start, end), self.config, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def closeEvent(self, event: object) -> None:  # noqa: N802 (Qt naming)
        self.refresh_timer.stop()
        super().closeEvent(event)  # type: ignore[arg-type]


def series_basis(series: list[ComplianceSeries]) -> str:
    """`` · Mall A: 62 % (8 decided of 11 people - too few)`` for each line over the whole range."""
    parts = []
    for s in series:
        t = s.totals()
        parts.append(f"{s.label}: {compliance_text(t.masked, t.decided, t.people, tr_fn=translate)}")
    return "".join(f" · {p}" for p in parts)
