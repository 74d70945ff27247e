"""CameraForm: edits one CameraConfig, validates inline, and tests the connection in the background."""

from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.config import CameraConfig, SiteConfig
from app.zones import Zone
from widgets.cameras.connection_probe import ConnectionTester, ProbeResult
from widgets.cameras.source_field import SourceField, check_source
from widgets.cameras.zone_editor import ZoneEditorDialog, zone_summary
from widgets.paint.frame_image import _as_bgr

PREVIEW_W, PREVIEW_H = 320, 180


class CameraForm(QWidget):
    """The right-hand side of the camera manager."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._camera: CameraConfig | None = None
        self._zones: tuple[Zone, ...] = ()
        self.zone_editor: ZoneEditorDialog | None = None
        self.id_label = QLabel()
        self.name = QLineEdit()
        self.site = QComboBox()
        self.source = SourceField()
        self.sub_source = SourceField()
        self.sub_source.setPlaceholderText(self.tr("optional low-resolution stream for small tiles"))
        self.transport = QComboBox()
        for label, value in ((self.tr("Automatic"), "auto"), (self.tr("TCP"), "tcp"), (self.tr("UDP"), "udp")):
            self.transport.addItem(label, value)
        self.transport.setToolTip(
            self.tr("How an rtsp:// camera sends its video: TCP passes firewalls and NAT, UDP has less delay")
        )
        self.usb = QComboBox()
        self.usb.addItem(self.tr("USB devices: scanning…"), None)
        self.browse = QPushButton(self.tr("File…"))
        self.enabled = QCheckBox(self.tr("Enabled"))
        self.record = QCheckBox(self.tr("Record"))
        self.fps = QDoubleSpinBox()
        self.fps.setRange(0.5, 30.0)
        self.fps.setSingleStep(0.5)
        self.fps.setSuffix(self.tr(" analyses/s"))
        self.error = QLabel()
        self.error.setObjectName("InlineError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.zones_button = QPushButton(self.tr("&Zones…"))
        self.zones_button.setShortcut("Ctrl+Shift+Z")
        self.zones_button.setToolTip(
            self.tr("Draw exclusion zones and a counting zone on a frame of this camera (Ctrl+Shift+Z)")
        )
        self.zones_label = QLabel()
        self.zones_label.setWordWrap(True)
        self.test_button = QPushButton(self.tr("Test connection"))
        self.test_status = QLabel()
        self.test_status.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW_W, PREVIEW_H)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setObjectName("Preview")

        src_row = QHBoxLayout()
        src_row.addWidget(self.source, 1)
        src_row.addWidget(self.browse)
        form = QFormLayout()
        form.addRow(self.tr("Id"), self.id_label)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Site"), self.site)
        form.addRow(self.tr("Source"), src_row)
        form.addRow("", self.usb)
        form.addRow(self.tr("Sub-stream"), self.sub_source)
        form.addRow(self.tr("RTSP transport"), self.transport)
        form.addRow(self.tr("Analysis"), self.fps)
        flags = QHBoxLayout()
        flags.addWidget(self.enabled)
        flags.addWidget(self.record)
        flags.addStretch(1)
        form.addRow("", flags)
        zones_row = QHBoxLayout()
        zones_row.addWidget(self.zones_button)
        zones_row.addWidget(self.zones_label, 1)
        form.addRow(self.tr("Zones"), zones_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_status, 1)
        layout.addLayout(test_row)
        layout.addWidget(self.preview)
        layout.addStretch(1)

        self.tester = ConnectionTester(self)
        self.tester.finished.connect(self._on_tester_finished)
        self.tester.usb_found.connect(self._on_tester_usb_found)
        self.test_button.clicked.connect(self.start_test)
        self.zones_button.clicked.connect(self.open_zone_editor)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.usb.activated.connect(self._on_usb_activated)
        self.transport.activated.connect(self._on_field_edited)
        for w in (self.name, self.source, self.sub_source):
            w.textEdited.connect(self._on_field_edited)
        self.setEnabled(False)

    def set_sites(self, sites: tuple[SiteConfig, ...]) -> None:
        current = self.site.currentData()
        self.site.clear()
        for s in sites:
            self.site.addItem(s.name, s.id)
        self.site.setCurrentIndex(max(0, self.site.findData(current)))

    def load(self, camera: CameraConfig | None) -> None:
        self._camera = camera
        self.setEnabled(camera is not None)
        self.error.hide()
        self.test_status.clear()
        self.preview.clear()
        self._zones = camera.zones if camera is not None else ()
        self.zones_label.setText(zone_summary(self._zones, self.tr))
        if camera is None:
            return
        self.id_label.setText(camera.id)
        self.name.setText(camera.name)
        self.site.setCurrentIndex(max(0, self.site.findData(camera.site)))
        self.source.set_value(camera.source)
        self.sub_source.set_value(camera.sub_source)
        self.enabled.setChecked(camera.enabled)
        self.record.setChecked(camera.record)
        self.fps.setValue(camera.analysis_fps)
        self.transport.setCurrentIndex(max(0, self.transport.findData(camera.transport)))

    def read(self) -> CameraConfig | None:
        """The edited camera, or None with an inline message when a field is invalid."""
        if self._camera is None:
            return None
        name = self.name.text().strip()
        problem = None
        if not name:
            problem = self.tr("Give the camera a name operators will recognise.")
        elif self.site.currentData() is None:
            problem = self.tr("Add a site first: every camera belongs to a site.")
        else:
            problem = check_source(self.source.value())
            if problem is None and self.sub_source.value().strip():
                sub_problem = check_source(self.sub_source.value())
                problem = self.tr("Sub-stream: {sub_problem}").format(sub_problem=sub_problem) if sub_problem else None
        self.show_error(problem)
        if problem:
            return None
        return replace(
            self._camera,
            name=name,
            site=str(self.site.currentData()),
            source=self.source.value(),
            sub_source=self.sub_source.value().strip(),
            enabled=self.enabled.isChecked(),
            record=self.record.isChecked(),
            analysis_fps=float(self.fps.value()),
            zones=self._zones,
            transport=str(self.transport.currentData()),
        )

    def open_zone_editor(self) -> ZoneEditorDialog | None:
        """The zone editor on a frame of the source as typed now; its zones come back into this form."""
        if self._camera is None:
            return None
        camera = replace(self._camera, source=self.source.value(), zones=self._zones)
        self.zone_editor = ZoneEditorDialog(camera, self)
        self.zone_editor.finished.connect(self._on_zone_editor_finished)
        self.zone_editor.open()  # window-modal, not exec(): the event loop (and the probe) keeps running
        return self.zone_editor

    def _on_zone_editor_finished(self, result: int) -> None:
        editor, self.zone_editor = self.zone_editor, None
        if editor is None:
            return
        if result == QDialog.DialogCode.Accepted:
            self._zones = editor.zones()
            self.zones_label.setText(zone_summary(self._zones, self.tr))
            self.edited.emit()
        editor.tester.wait(0.1)
        editor.deleteLater()

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    def start_test(self) -> None:
        self.test_status.setText(self.tr("Testing…"))
        self.preview.clear()
        self.tester.test(self.source.value(), str(self.transport.currentData()))

    def _on_tester_finished(self, result: ProbeResult) -> None:
        if result.request != self.tester.request:
            return  # an older test: the operator has asked again since
        self.test_status.setText(result.message)
        self.test_status.setProperty("ok", result.ok)
        if result.image is not None:
            arr = _as_bgr(result.image)
            h, w = arr.shape[:2]
            image = QImage(arr.data, w, h, int(arr.strides[0]), QImage.Format.Format_BGR888)
            scaled = image.scaled(
                PREVIEW_W,
                PREVIEW_H,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )  # scaled() copies, so the preview does not borrow arr
            self.preview.setPixmap(QPixmap.fromImage(scaled))

    def _on_tester_usb_found(self, indices: list[int]) -> None:
        self.usb.clear()
        self.usb.addItem(self.tr("USB devices: {count} found").format(count=len(indices)) if indices else self.tr("USB devices: none found"), None)
        for i in indices:
            self.usb.addItem(self.tr("USB camera {i}").format(i=i), str(i))

    def _on_usb_activated(self, index: int) -> None:
        value = self.usb.itemData(index)
        if value is not None:
            self.source.setText(value)
            self.edited.emit()

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Video file"), "", self.tr("Video (*.mp4 *.mkv *.avi *.mov);;All (*)")
        )
        if path:
            self.source.setText(path)
            self.edited.emit()

    def _on_field_edited(self, _value: object) -> None:
        self.edited.emit()


def slug(text: str, taken: set[str], prefix: str) -> str:
    """A short unique id from a name: 'North Entrance' -> 'north-entrance'."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or prefix
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
