"""CameraManagerDialog: add, edit, remove and enable cameras and sites; non-modal.

It edits a copy of the configuration and emits ``config_saved(StationConfig)``; the window decides what to
do with it (save to disk, apply to the running station)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.config import CameraConfig, SiteConfig, StationConfig
from widgets.cameras.camera_form import CameraForm, slug


class CameraManagerDialog(QDialog):
    """Sites on the left, cameras in the middle, the selected camera's form on the right."""

    config_saved = Signal(object)  # StationConfig

    def __init__(self, config: StationConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Cameras and sites"))
        self.setModal(False)
        self._base = config
        self._sites: list[SiteConfig] = list(config.sites)
        self._cameras: list[CameraConfig] = list(config.cameras)
        self._current: int | None = None

        self.site_list = QListWidget()
        self.site_name = QLineEdit()
        self.site_name.setPlaceholderText(self.tr("site name, e.g. Riverside Mall"))
        self.add_site_button = QPushButton(self.tr("Add site"))
        self.rename_site_button = QPushButton(self.tr("Rename"))
        self.remove_site_button = QPushButton(self.tr("Remove site"))
        self.site_message = QLabel()
        self.site_message.setObjectName("InlineError")
        self.site_message.setWordWrap(True)
        self.camera_list = QListWidget()
        self.add_camera_button = QPushButton(self.tr("Add camera"))
        self.remove_camera_button = QPushButton(self.tr("Remove camera"))
        self.form = CameraForm()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )

        sites = QWidget()
        sl = QVBoxLayout(sites)
        sl.addWidget(QLabel(self.tr("Sites")))
        sl.addWidget(self.site_list, 1)
        sl.addWidget(self.site_name)
        row = QHBoxLayout()
        for b in (self.add_site_button, self.rename_site_button, self.remove_site_button):
            row.addWidget(b)
        sl.addLayout(row)
        sl.addWidget(self.site_message)
        cams = QWidget()
        cl = QVBoxLayout(cams)
        cl.addWidget(QLabel(self.tr("Cameras")))
        cl.addWidget(self.camera_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_camera_button)
        row.addWidget(self.remove_camera_button)
        cl.addLayout(row)
        split = QSplitter()
        for w in (sites, cams, self.form):
            split.addWidget(w)
        split.setStretchFactor(2, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.buttons)
        self.resize(1100, 560)

        self.add_site_button.clicked.connect(self.add_site)
        self.rename_site_button.clicked.connect(self.rename_site)
        self.remove_site_button.clicked.connect(self.remove_site)
        self.site_list.currentRowChanged.connect(self._on_site_list_row_changed)
        self.add_camera_button.clicked.connect(self.add_camera)
        self.remove_camera_button.clicked.connect(self.remove_camera)
        self.camera_list.currentRowChanged.connect(self._on_camera_list_row_changed)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.close)
        self._refresh_sites()
        self._refresh_cameras()
        self.form.tester.scan_usb()
        if self._cameras:
            self.camera_list.setCurrentRow(0)

    # -- sites --------------------------------------------------------------------------------------
    def add_site(self) -> None:
        name = self.site_name.text().strip()
        if not name:
            self.site_message.setText(self.tr("Type the site's name first."))
            return
        self._sites.append(SiteConfig(slug(name, {s.id for s in self._sites}, "site"), name))
        self.site_name.clear()
        self.site_message.clear()
        self._refresh_sites()
        self.site_list.setCurrentRow(len(self._sites) - 1)

    def rename_site(self) -> None:
        row, name = self.site_list.currentRow(), self.site_name.text().strip()
        if row < 0 or not name:
            self.site_message.setText(self.tr("Select a site and type its new name."))
            return
        self._sites[row] = replace(self._sites[row], name=name)
        self.site_message.clear()
        self._refresh_sites()
        self.site_list.setCurrentRow(row)

    def remove_site(self) -> None:
        row = self.site_list.currentRow()
        if row < 0:
            return
        site = self._sites[row]
        users = [c.name for c in self._cameras if c.site == site.id]
        if users:
            self.site_message.setText(
                self.tr("{name} still has cameras ({join}): move or remove them first.").format(name=site.name, join=', '.join(users))
            )
            return
        del self._sites[row]
        self.site_message.clear()
        self._refresh_sites()

    # -- cameras ------------------------------------------------------------------------------------
    def add_camera(self) -> None:
        if not self._commit_form():
            return
        if not self._sites:
            self.site_message.setText(self.tr("Add a site first: every camera belongs to a site."))
            return
        n = len(self._cameras) + 1
        cid = slug(f"camera-{n}", {c.id for c in self._cameras}, "camera")
        self._cameras.append(CameraConfig(cid, self.tr("Camera {n}").format(n=n), self._sites[0].id, ""))
        self._current = None
        self._refresh_cameras()
        self.camera_list.setCurrentRow(len(self._cameras) - 1)
        self.form.name.setFocus()

    def remove_camera(self) -> None:
        row = self.camera_list.currentRow()
        if row < 0:
            return
        del self._cameras[row]
        self._current = None
        self.form.load(None)
        self._refresh_cameras()

    def save(self) -> bool:
        """Validate the open form and emit the new configuration; returns False if something is invalid."""
        if not self._commit_form():
            return False
        config = replace(self._base, sites=tuple(self._sites), cameras=tuple(self._cameras))
        self._base = config
        self._refresh_cameras()
        self.config_saved.emit(config)
        return True

    def working_config(self) -> StationConfig:
        return replace(self._base, sites=tuple(self._sites), cameras=tuple(self._cameras))

    def _commit_form(self) -> bool:
        if self._current is None or self._current >= len(self._cameras):
            return True
        camera = self.form.read()
        if camera is None:
            return False
        self._cameras[self._current] = camera
        item = self.camera_list.item(self._current)
        if item is not None:
            item.setText(self._camera_text(camera))
        return True

    def _on_camera_list_row_changed(self, row: int) -> None:
        if row == self._current:
            return
        if not self._commit_form():
            self.camera_list.blockSignals(True)
            self.camera_list.setCurrentRow(self._current if self._current is not None else -1)
            self.camera_list.blockSignals(False)
            return
        self._current = row if 0 <= row < len(self._cameras) else None
        self.form.load(self._cameras[row] if self._current is not None else None)

    def _on_site_list_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._sites):
            self.site_name.setText(self._sites[row].name)

    def _refresh_sites(self) -> None:
        self.site_list.clear()
        for s in self._sites:
            self.site_list.addItem(QListWidgetItem(s.name))
        self.form.set_sites(tuple(self._sites))

    def _refresh_cameras(self) -> None:
        current = self.camera_list.currentRow()
        self.camera_list.blockSignals(True)
        self.camera_list.clear()
        for c in self._cameras:
            item = QListWidgetItem(self._camera_text(c))
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.camera_list.addItem(item)
        self.camera_list.setCurrentRow(current if current < len(self._cameras) else -1)
        self.camera_list.blockSignals(False)

    def _camera_text(self, camera: CameraConfig) -> str:
        site = next((s.name for s in self._sites if s.id == camera.site), camera.site)
        return f"{camera.name}  ({site})" + ("" if camera.enabled else self.tr("  [disabled]"))

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        self.form.tester.wait(0.1)
        super().closeEvent(event)
