"""EventPanel: the live events list with site/camera/kind filters and acknowledgement."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.config import StationConfig
from app.domain import Event, EventKind
from app.i18n import QT_TRANSLATE_NOOP
from widgets.events.event_model import ALERT_KINDS, KIND_TEXT, THUMB_PX, EventFilterModel, EventTableModel
from widgets.i18n import language_state, translate

SITE_COLUMN = EventTableModel.COLUMNS.index("Site")

KIND_FILTERS: tuple[tuple[str, frozenset[EventKind] | None], ...] = (
    (QT_TRANSLATE_NOOP("EventPanel", "All events"), None),
    (QT_TRANSLATE_NOOP("EventPanel", "People (no mask, incorrect, watchlist)"), ALERT_KINDS),
    (QT_TRANSLATE_NOOP("EventPanel", "Cameras (offline/online)"), frozenset({EventKind.CAMERA_OFFLINE, EventKind.CAMERA_ONLINE})),
    *((KIND_TEXT[k], frozenset({k})) for k in EventKind),
)


class EventPanel(QWidget):
    """Newest events first; selecting one highlights its camera; acknowledge_selected() acknowledges."""

    camera_selected = Signal(object)  # camera id, or None when the selection is cleared
    acknowledged = Signal(object)  # Event
    event_activated = Signal(object)  # Event: double-click or Enter on a row
    context_menu_requested = Signal(object, QPoint)  # (Event, global position): right-click on a row

    def __init__(self, model: EventTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EventPanel")
        self.model = model
        self.proxy = EventFilterModel(self)
        self.proxy.setSourceModel(model)
        self._title = QLabel()
        self._title.setObjectName("PanelTitle")
        self.site_filter = QComboBox()
        self.camera_filter = QComboBox()
        self.kind_filter = QComboBox()
        for text, kinds in KIND_FILTERS:
            self.kind_filter.addItem(translate("EventTableModel", text) if text in KIND_TEXT.values() else self.tr(text), kinds)
        for combo in (self.site_filter, self.camera_filter, self.kind_filter):
            # long camera names must not widen the dock (it would squeeze the camera list to nothing)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_PX + 6)
        self.table.setIconSize(QSize(THUMB_PX, THUMB_PX))
        header = self.table.horizontalHeader()
        # What happened is never squeezed: the event column fits its text; the camera name takes what is left
        # of the dock and is elided ("street_cro…") when long. The full text is in the tooltip.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setWordWrap(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            enter = QShortcut(QKeySequence(key), self.table, context=Qt.ShortcutContext.WidgetShortcut)
            enter.activated.connect(self._on_enter_activated)

        filters = QHBoxLayout()
        for w in (self.site_filter, self.camera_filter, self.kind_filter):
            filters.addWidget(w, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._title)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

        self.site_filter.currentIndexChanged.connect(self._on_site_filter_current_index_changed)
        self.camera_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.kind_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        model.rowsInserted.connect(self._update_title)
        model.rowsRemoved.connect(self._update_title)
        model.dataChanged.connect(self._update_title)
        model.modelReset.connect(self._update_title)  # add_stored() (the preload, the city feed) resets
        language_state().changed.connect(self._update_title)  # a run-time language switch
        self._config = StationConfig()
        self.set_config(self._config)

    def set_config(self, config: StationConfig) -> None:
        """Refill the site and camera filters (names only: never a source URL)."""
        self.model.set_config(config)
        self._config = config
        _refill(self.site_filter, [(self.tr("All sites"), None)] + [(s.name, s.id) for s in config.sites])
        self._fill_cameras()
        # One mall: the site column says nothing the title does not, and the dock is narrow.
        self.table.setColumnHidden(SITE_COLUMN, len(config.sites) <= 1)
        self.site_filter.setVisible(len(config.sites) > 1)
        self._on_filter_changed()

    def acknowledge_selected(self, by: str = "") -> bool:
        """Acknowledge the selected event, or the newest unacknowledged one when none is selected."""
        rows = self.table.selectionModel().selectedRows()
        if rows:
            source_row = self.proxy.mapToSource(rows[0]).row()
        else:
            source_row = next(
                (
                    self.proxy.mapToSource(self.proxy.index(r, 0)).row()
                    for r in range(self.proxy.rowCount())
                    if not self.model.is_acknowledged(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
                ),
                -1,
            )
        event = self.model.acknowledge(source_row, by)
        if event is not None:
            self.acknowledged.emit(event)
        return event is not None

    def select_row(self, proxy_row: int) -> None:
        self.table.selectRow(proxy_row)

    def selected_event(self) -> Event | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.event_at(self.proxy.mapToSource(rows[0]).row()) if rows else None

    def _event_of(self, index: QModelIndex) -> Event | None:
        return self.model.event_at(self.proxy.mapToSource(index).row()) if index.isValid() else None

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        event = self._event_of(index)
        if event is not None:
            self.event_activated.emit(event)

    def _on_enter_activated(self) -> None:
        event = self._event_of(self.table.currentIndex())
        if event is not None:
            self.event_activated.emit(event)

    def _on_table_context_menu_requested(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        event = self._event_of(index)
        if event is not None:
            self.table.selectRow(index.row())
            self.context_menu_requested.emit(event, self.table.viewport().mapToGlobal(pos))

    def _fill_cameras(self) -> None:
        """The camera filter lists the cameras of the chosen site (all of them when none is chosen)."""
        site = self.site_filter.currentData()
        cams = [c for c in self._config.cameras if site is None or c.site == site]
        _refill(self.camera_filter, [(self.tr("All cameras"), None)] + [(c.name, c.id) for c in cams])

    def _on_site_filter_current_index_changed(self, _: int) -> None:
        self._fill_cameras()
        self._on_filter_changed()

    def _on_filter_changed(self, *_: object) -> None:
        self.proxy.set_site(self.site_filter.currentData())
        self.proxy.set_camera(self.camera_filter.currentData())
        self.proxy.set_kinds(self.kind_filter.currentData())
        self._update_title()

    def _on_table_selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            self.camera_selected.emit(None)
            return
        source: QModelIndex = self.proxy.mapToSource(indexes[0])
        self.camera_selected.emit(self.model.event_at(source.row()).camera_id)

    def _update_title(self, *_: object) -> None:
        pending = self.model.unacknowledged_count()
        shown = self.proxy.rowCount()
        self._title.setText(self.tr("Events  ·  {shown} shown  ·  {pending} to acknowledge").format(shown=shown, pending=pending))


def _refill(combo: QComboBox, items: list[tuple[str, object]]) -> None:
    """Replace the items, keeping the current one when it is still there."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for text, data in items:
        combo.addItem(text, data)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)
