"""CameraList: the cameras by site, with a live/offline mark; drag one onto a wall tile."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from app.domain import Health
from app.station_api import Station
from widgets.wall.camera_tile import CAMERA_MIME

HEALTH_COLOUR = {
    Health.LIVE: QColor(63, 185, 80),
    Health.CONNECTING: QColor(88, 166, 255),
    Health.STALLED: QColor(210, 153, 34),
    Health.OFFLINE: QColor(248, 81, 73),
    Health.STOPPED: QColor(125, 133, 144),
}


class CameraList(QListWidget):
    """Site headers followed by their cameras (names only; the source URL is never shown)."""

    def __init__(self, station: Station, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._station = station
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.reload()

    def reload(self) -> None:
        self.clear()
        config = self._station.config()
        feeds = self._station.feeds()
        sites = list(config.sites)
        known = {s.id for s in sites}
        orphans = sorted({c.site for c in config.cameras if c.site not in known})
        for site_id, site_name in [(s.id, s.name) for s in sites] + [(o, o or self.tr("No site")) for o in orphans]:
            cams = [c for c in config.cameras if c.site == site_id]
            if not cams:
                continue
            header = QListWidgetItem(site_name.upper())
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            header.setForeground(QColor(125, 133, 144))
            self.addItem(header)
            for cam in cams:
                item = QListWidgetItem(f"●  {cam.name}" + ("" if cam.enabled else self.tr("  (disabled)")))
                item.setData(Qt.ItemDataRole.UserRole, cam.id)
                item.setToolTip(f"{cam.name} - {site_name}")
                if cam.id not in feeds:
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.addItem(item)
        self.update_health()

    def update_health(self) -> None:
        feeds = self._station.feeds()
        for i in range(self.count()):
            item = self.item(i)
            cid = item.data(Qt.ItemDataRole.UserRole)
            if cid:
                feed = feeds.get(cid)
                health = feed.status().health if feed is not None else Health.STOPPED
                item.setForeground(HEALTH_COLOUR[health])

    def camera_ids(self) -> list[str]:
        return [
            self.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.count())
            if self.item(i).data(Qt.ItemDataRole.UserRole)
        ]

    def select_camera(self, camera_id: str) -> None:
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == camera_id:
                self.setCurrentRow(i)
                return

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [CAMERA_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802, ANN001
        mime = QMimeData()
        ids = [it.data(Qt.ItemDataRole.UserRole) for it in items if it.data(Qt.ItemDataRole.UserRole)]
        if ids:
            mime.setData(CAMERA_MIME, ids[0].encode())
        return mime
