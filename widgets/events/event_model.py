"""EventTableModel: the live events list (newest first, bounded) and its site/camera/kind filter.

GUI-thread only: events arrive through a queued signal from the station listener.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QImage, QPixmap

from app.config import StationConfig
from app.domain import Event, EventKind
from app.i18n import QT_TRANSLATE_NOOP
from app.logs import redact
from widgets.events.stored_events import StoredEvent

KIND_TEXT: dict[EventKind, str] = {
    EventKind.NO_MASK: QT_TRANSLATE_NOOP("EventTableModel", "No mask"),
    EventKind.INCORRECT_MASK: QT_TRANSLATE_NOOP("EventTableModel", "Mask worn incorrectly"),
    EventKind.WATCHLIST_MATCH: QT_TRANSLATE_NOOP("EventTableModel", "Watchlist match"),
    EventKind.CAMERA_OFFLINE: QT_TRANSLATE_NOOP("EventTableModel", "Camera offline"),
    EventKind.CAMERA_ONLINE: QT_TRANSLATE_NOOP("EventTableModel", "Camera online"),
}
KIND_COLOUR: dict[EventKind, QColor] = {
    EventKind.NO_MASK: QColor(255, 90, 90),
    EventKind.INCORRECT_MASK: QColor(255, 170, 40),
    EventKind.WATCHLIST_MATCH: QColor(255, 80, 255),
    EventKind.CAMERA_OFFLINE: QColor(255, 120, 60),
    EventKind.CAMERA_ONLINE: QColor(120, 210, 140),
}
ALERT_KINDS = frozenset({EventKind.NO_MASK, EventKind.INCORRECT_MASK, EventKind.WATCHLIST_MATCH})
THUMB_PX = 56
EventRole = Qt.ItemDataRole.UserRole + 1
CameraRole = Qt.ItemDataRole.UserRole + 2
SiteRole = Qt.ItemDataRole.UserRole + 3
KindRole = Qt.ItemDataRole.UserRole + 4
AckRole = Qt.ItemDataRole.UserRole + 5


@dataclass(slots=True)
class _Row:
    """Mutable on purpose: lives on the GUI thread only (acknowledged flag, lazily decoded thumbnail)."""

    event: Event
    acknowledged: bool = False
    thumb: QPixmap | None = None
    event_id: int | None = None  # the stored row (preloaded, or found when needed)
    acknowledged_by: str | None = None


class EventTableModel(QAbstractTableModel):
    """Events newest first; keeps at most ``max_rows`` (the oldest fall off)."""

    COLUMNS = ("Time", "Face", "Event", "Camera", "Site", "Ack")  # translated in headerData
    _COLUMN_TEXT = (QT_TRANSLATE_NOOP("EventTableModel", "Time"), QT_TRANSLATE_NOOP("EventTableModel", "Face"), QT_TRANSLATE_NOOP("EventTableModel", "Event"), QT_TRANSLATE_NOOP("EventTableModel", "Camera"), QT_TRANSLATE_NOOP("EventTableModel", "Site"), QT_TRANSLATE_NOOP("EventTableModel", "Ack"))

    def __init__(self, config: StationConfig | None = None, max_rows: int = 5000, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._max_rows = max_rows
        self._config = config or StationConfig()
        self._cameras = {c.id: c for c in self._config.cameras}  # the city has ~1,800: no linear search per cell

    def set_config(self, config: StationConfig) -> None:
        """Camera and site names come from the configuration."""
        self._config = config
        self._cameras = {c.id: c for c in config.cameras}
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(self.COLUMNS) - 1))

    def add_event(self, event: Event) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, _Row(event))
        self.endInsertRows()
        if len(self._rows) > self._max_rows:
            self.beginRemoveRows(QModelIndex(), self._max_rows, len(self._rows) - 1)
            del self._rows[self._max_rows :]
            self.endRemoveRows()

    def add_stored(self, items: Sequence[StoredEvent]) -> int:
        """Merge events read back from the store (at start) under the live ones, newest first; an event
        that already arrived live is not listed twice. Returns how many were added."""
        live = {_key(r.event): r for r in self._rows}
        added = []
        for item in items:
            row = live.get(_key(item.event))
            if row is not None:
                row.event_id = item.event_id
                continue
            acked = item.acknowledged_by is not None
            added.append(_Row(item.event, acked, None, item.event_id, item.acknowledged_by))
        if not added:
            return 0
        self.beginResetModel()
        self._rows = sorted([*self._rows, *added], key=lambda r: r.event.at, reverse=True)[: self._max_rows]
        self.endResetModel()
        return len(added)

    def event_at(self, row: int) -> Event:
        return self._rows[row].event

    def event_id_at(self, row: int) -> int | None:
        return self._rows[row].event_id

    def set_event_id(self, row: int, event_id: int) -> None:
        self._rows[row].event_id = event_id

    def row_of(self, event: Event) -> int:
        """Row of ``event`` (the same object), -1 if it fell off the list."""
        return next((i for i, r in enumerate(self._rows) if r.event is event), -1)

    def is_acknowledged(self, row: int) -> bool:
        return self._rows[row].acknowledged

    def acknowledge(self, row: int, by: str = "") -> Event | None:
        """Mark row acknowledged (by user ``by``); returns the event if it was not acknowledged before."""
        if not 0 <= row < len(self._rows) or self._rows[row].acknowledged:
            return None
        self._rows[row].acknowledged = True
        self._rows[row].acknowledged_by = by or None
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))
        return self._rows[row].event

    def unacknowledged_count(self) -> int:
        return sum(not r.acknowledged and r.event.kind in ALERT_KINDS for r in self._rows)

    def camera_name(self, camera_id: str) -> str:
        cam = self._cameras.get(camera_id)
        return cam.name if cam is not None else redact(camera_id)

    def site_of(self, camera_id: str) -> str:
        cam = self._cameras.get(camera_id)
        return cam.site if cam is not None else ""

    # -- QAbstractTableModel ------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802, ANN201
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.tr(self._COLUMN_TEXT[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        ev, col = row.event, index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.DecorationRole and col == 1:
            return self._thumbnail(row)
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return KIND_COLOUR[ev.kind]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == EventRole:
            return ev
        if role == CameraRole:
            return ev.camera_id
        if role == SiteRole:
            return self.site_of(ev.camera_id)
        if role == KindRole:
            return ev.kind.value
        if role == AckRole:
            return row.acknowledged
        return None

    def _display(self, row: _Row, col: int) -> str | None:
        ev = row.event
        if col == 0:
            return time.strftime("%H:%M:%S", time.localtime(ev.at))
        if col == 2:
            track = f"  #{ev.track_id}" if ev.track_id is not None else ""
            listed = ev.details.get("watchlist") if ev.kind is EventKind.WATCHLIST_MATCH else None
            return self.tr(KIND_TEXT[ev.kind]) + (f" · {listed}" if listed else "") + track
        if col == 3:
            return self.camera_name(ev.camera_id)
        if col == 4:
            site = self._config.site(self.site_of(ev.camera_id))
            return site.name if site is not None else self.site_of(ev.camera_id)
        if col == 5:
            return "✓" if row.acknowledged else ("!" if ev.kind in ALERT_KINDS else "")
        return None

    def _tooltip(self, row: _Row) -> str:
        ev = row.event
        when = QLocale().toString(QDateTime.fromSecsSinceEpoch(int(ev.at)), QLocale.FormatType.ShortFormat)
        message = ev.details.get("message", "")
        acked = self.tr("  (acknowledged by {user})").format(user=row.acknowledged_by) if row.acknowledged_by else ""
        return redact(
            self.tr("{event} on {camera} at {when}  {message}").format(event=self.tr(KIND_TEXT[ev.kind]), camera=self.camera_name(ev.camera_id), when=when, message=message).strip() + acked
        )

    def _thumbnail(self, row: _Row) -> QPixmap | None:
        if row.thumb is None and row.event.thumbnail_jpeg:
            image = QImage.fromData(row.event.thumbnail_jpeg)
            if not image.isNull():
                row.thumb = QPixmap.fromImage(
                    image.scaled(
                        THUMB_PX,
                        THUMB_PX,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )
        return row.thumb


def _key(ev: Event) -> tuple[str, str, int | None, int]:
    return ev.camera_id, ev.kind.value, ev.track_id, round(ev.at * 1000)


class EventFilterModel(QSortFilterProxyModel):
    """Shows only events of one site, one camera and/or one kind (None: any)."""

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._site: str | None = None
        self._camera: str | None = None
        self._kinds: frozenset[EventKind] | None = None

    def set_site(self, site_id: str | None) -> None:
        self._refilter("_site", site_id or None)

    def set_camera(self, camera_id: str | None) -> None:
        self._refilter("_camera", camera_id or None)

    def set_kinds(self, kinds: frozenset[EventKind] | None) -> None:
        self._refilter("_kinds", kinds or None)

    def _refilter(self, attr: str, value: object) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10 (invalidate*Filter are deprecated there)
            self.beginFilterChange()
            setattr(self, attr, value)
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            setattr(self, attr, value)
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        if not isinstance(model, EventTableModel):
            return True
        ev = model.event_at(source_row)
        if self._camera is not None and ev.camera_id != self._camera:
            return False
        if self._site is not None and model.site_of(ev.camera_id) != self._site:
            return False
        return self._kinds is None or ev.kind in self._kinds
