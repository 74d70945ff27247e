"""The window's compliance tab: a ``ComplianceView`` created when first shown, reading the store only
while it is on screen, whose event list can point at a camera (highlight, export)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.config import StationConfig
from app.domain import Event, EventKind
from widgets.compliance.compliance_view import ComplianceView


class ComplianceTab(QWidget):
    """``event_selected(Event)`` when an event of a clicked minute is selected; ``event_menu_requested
    (Event, global pos)`` on a right-click on one."""

    event_selected = Signal(object)
    event_menu_requested = Signal(object, QPoint)
    event_activated = Signal(object)  # Event: double-click on a row (the window opens playback there)

    def __init__(self, db_path: str, config: StationConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db_path, self._config = db_path, config
        self.view: ComplianceView | None = None
        self._report_allowed = True
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def set_active(self, active: bool) -> None:
        """Shown: create the view (first time) and refresh live; hidden: stop reading the store."""
        if active and self.view is None:
            self.view = ComplianceView(self._db_path, self._config)
            self.view.report_button.setVisible(self._report_allowed)
            table = self.view.events
            table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            table.customContextMenuRequested.connect(self._on_events_context_menu_requested)
            table.itemSelectionChanged.connect(self._on_events_item_selection_changed)
            table.cellDoubleClicked.connect(self._on_events_cell_double_clicked)
            layout = self.layout()
            assert layout is not None
            layout.addWidget(self.view)
            self.view.show()  # a child added to a visible parent shows only when told
        elif active and self.view is not None:
            self.view.reload()
        if self.view is not None:
            if active:
                self.view.refresh_timer.start()
            else:
                self.view.refresh_timer.stop()

    def set_config(self, config: StationConfig) -> None:
        self._config = config
        if self.view is not None:
            self.view.config = config

    def set_report_allowed(self, allowed: bool) -> None:
        """Reports are for supervisors and admins: operators do not see the button."""
        self._report_allowed = allowed
        if self.view is not None:
            self.view.report_button.setVisible(allowed)

    def event_at(self, row: int) -> Event | None:
        item = self.view.events.item(row, 0) if self.view is not None and row >= 0 else None
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not data:
            return None
        camera_id, at, kind, track_id = data
        return Event(at, camera_id, EventKind(kind), track_id)

    def _on_events_item_selection_changed(self) -> None:
        assert self.view is not None
        event = self.event_at(self.view.events.currentRow())
        if event is not None:
            self.event_selected.emit(event)

    def _on_events_cell_double_clicked(self, row: int, _column: int) -> None:
        event = self.event_at(row)
        if event is not None:
            self.event_activated.emit(event)

    def _on_events_context_menu_requested(self, pos: QPoint) -> None:
        assert self.view is not None
        table = self.view.events
        event = self.event_at(table.rowAt(pos.y()))
        if event is not None:
            self.event_menu_requested.emit(event, table.viewport().mapToGlobal(pos))

    def close_view(self) -> None:
        if self.view is not None:
            self.view.close()
